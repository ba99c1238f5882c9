"""OKR Hub settings: one module, everything from the environment (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (copied from .env.example by `make run`) is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# pytest sets PYTEST_VERSION; tests talk plain HTTP to the test client and need no HTTPS redirect.
TESTING = "PYTEST_VERSION" in os.environ

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="") or ("dev-only-insecure-key" if DEBUG or TESTING else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY (required when DEBUG is off).")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Who to write to about accessibility (an email address or a URL), shown on the accessibility statement.
ACCESSIBILITY_CONTACT = env("ACCESSIBILITY_CONTACT", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "teams",
    "objectives",
    "checkins",
    "dashboards",
    "workshops",
    "okrhub",  # project-wide management commands (seed_demo)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "okrhub.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]
if env.bool("QUERY_COUNT_HEADER", default=False):
    # Opt-in for `make bench`: X-Query-Count on every response; outermost so sessions and auth count too.
    MIDDLEWARE.insert(0, "okrhub.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "okrhub.urls"
WSGI_APPLICATION = "okrhub.wsgi.application"
ASGI_APPLICATION = "okrhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the check-in form and the dashboard read while a check-in writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: Norwegian Bokmål first, English complete; ISO weeks; Oslo time.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="nb")
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Oslo")
USE_I18N = True
USE_TZ = True
FIRST_DAY_OF_WEEK = 1

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files whitenoise serves at the site root, such as /favicon.ico that browsers ask for on every first visit.
WHITENOISE_ROOT = BASE_DIR / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Cache: API throttle counters live here; share one (Redis) between gunicorn processes in production.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Email: EMAIL_URL as understood by django-environ (smtp+tls://user:pass@host:587, consolemail://, filemail://path).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if env("EMAIL_FILE_PATH", default=""):
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OKR Hub <okrhub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery (okrhub/celery.py reads every CELERY_* setting).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Static schedule, one place, in version control (why not django-celery-beat: README, "Reminders and
# digests"). Both tasks are hourly and idempotent: they decide per team/user whether something is due,
# the database decides once.
CELERY_BEAT_SCHEDULE: dict = {
    "checkin-reminders": {
        "task": "checkins.send_due_checkin_reminders",
        "schedule": crontab(minute=0),
        "options": {"expires": 55 * 60},  # a tick nobody ran within the hour is superseded by the next
    },
    "leader-digests": {
        "task": "checkins.send_due_leader_digests",
        "schedule": crontab(minute=5),
        "options": {"expires": 55 * 60},
    },
}

# REST API v1 (okrhub/api_urls.py). /api/ is skipped by LoginRequiredMiddleware, so DRF authenticates
# every request itself. Throttle counters live in the default cache (one per process unless CACHES is shared).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "okrhub.api.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["okrhub.api.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Scripts authenticating with a token; a burst above the rate gets 429.
        "token": env("API_TOKEN_THROTTLE_RATE", default="120/minute"),
        # POST /api/v1/auth/token/ per client IP: slows down password guessing.
        "auth": env("API_AUTH_THROTTLE_RATE", default="10/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "okrhub.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OKR Hub API",
    "DESCRIPTION": (
        "Objectives, key results, initiatives and check-ins. Authenticate with "
        "`Authorization: Token <token>` (POST /api/v1/auth/token/) or a browser session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CycleStatusEnum": "objectives.models.Cycle.Status",
        "ObjectiveStatusEnum": "objectives.models.Objective.Status",
        "InitiativeStatusEnum": "objectives.models.Initiative.Status",
    },
}

# Security: safe by default when DEBUG is off; each relaxable from the environment (e.g. behind plain HTTP).
_secure_default = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure_default)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("SECURE_PROXY_SSL_HEADER", default=_secure_default):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure_default else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure_default)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure_default)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure_default)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure_default)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts and styles from our own static files only, no inline code,
# no eval (htmx is told not to evaluate: <meta name="htmx-config"> in base.html). Forms post to us, plus the
# sign-in provider's origin when one is configured (FORM_ACTION_ORIGINS; OIDC_ISSUER's origin is added).
FORM_ACTION_ORIGINS = env.list("FORM_ACTION_ORIGINS", default=[])
_oidc_issuer = urlsplit(env("OIDC_ISSUER", default=""))
if _oidc_issuer.scheme and _oidc_issuer.netloc:
    FORM_ACTION_ORIGINS.append(f"{_oidc_issuer.scheme}://{_oidc_issuer.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *FORM_ACTION_ORIGINS],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
