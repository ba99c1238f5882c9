"""factory_boy factories. Objects that have a service are created through it, as the app creates them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from checkins import services as checkin_services
from checkins.models import CheckIn
from objectives.models import Cycle, Initiative, KeyResult, Objective
from teams.models import Membership, Profile, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("demo")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class CycleFactory(factory.django.DjangoModelFactory):
    """An active quarter around today by default."""

    class Meta:
        model = Cycle
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Cycle {n}")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=45))
    end_date = factory.LazyAttribute(lambda c: c.start_date + dt.timedelta(days=90))
    status = Cycle.Status.ACTIVE


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    team = factory.SubFactory(TeamFactory)
    cycle = factory.SubFactory(CycleFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    status = Objective.Status.ACTIVE


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    title = factory.Sequence(lambda n: f"Key result {n}")
    kind = KeyResult.Kind.INCREASE_TO
    unit = "courses"
    start_value = Decimal(10)
    target_value = Decimal(40)
    current_value = factory.LazyAttribute(lambda kr: kr.start_value)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    objective = factory.SubFactory(ObjectiveFactory)
    title = factory.Sequence(lambda n: f"Initiative {n}")


class CheckInFactory(factory.django.DjangoModelFactory):
    """Goes through checkin_submit, so the key result follows like it does in the app."""

    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    author = factory.SubFactory(UserFactory)
    value = Decimal(20)
    confidence = 7
    note = ""
    created_at = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return checkin_services.checkin_submit(**kwargs)
