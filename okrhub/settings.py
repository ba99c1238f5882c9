"""OKR Hub settings: one module, everything from the environment (see .env.example)."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "teams",
    "objectives",
    "checkins",
    "dashboards",
    "workshops",
    "notifications",  # every message sent: reminders, digests
    "imports",  # OKRs from spreadsheets
    "integrations",  # webhooks, Teams/Slack channel posts, data sources
    "datasources",  # key results that update themselves from a URL (JSON or CSV)
    "meetings",  # the team's weekly OKR meeting and its minutes
    "okrhub",  # project-wide management commands (seed_demo)
    "django_prometheus",  # /metrics (okrhub/metrics.py)
]

MIDDLEWARE = [
    # Operations (docs/operations.md): a request id and one log line per request, request metrics, and the
    # probes and /metrics answered before host validation and the HTTPS redirect (okrhub/health.py).
    "okrhub.logs.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "okrhub.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "okrhub.middleware.LoginRequiredMiddleware",
    # Holds a password sign-in at the authenticator code when the person has one (teams/two_factor.py).
    "teams.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "okrhub.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "okrhub.middleware.ObjectLockedMiddleware",
    # Last: turns a sign-in refused for too many failures into the lockout answer (teams/lockouts.py).
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "teams.context_processors.roles",
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
    # Django's default test database, in memory, said outright: pytest-django's parallel runs (xdist) give
    # each worker a database of its own by suffixing a test NAME, and would take the file name of the
    # wrapped engine below for one.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
# django-prometheus counts queries, errors and connections: the same backends, wrapped (vendor unchanged).
if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
        "django.db.", "django_prometheus.db."
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # An unreachable server fails /readyz and requests within seconds, not after the OS's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Where `manage.py backup` writes when given no --output (docs/backup.md).
BACKUP_DIR = Path(env("BACKUP_DIR", default=str(BASE_DIR / "backups")))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Sign in with the username or the email address (case-insensitive; an address two accounts share is refused).
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "teams.lockouts.LockoutBackend",
    "teams.backends.EmailOrUsernameBackend",
    "teams.oidc.OIDCBackend",  # inert until OIDC_ISSUER and OIDC_CLIENT_ID are set
]
# Sign in with the organisation's OpenID Connect provider (teams/oidc.py; README "Signing in safely").
# Endpoints come from <OIDC_ISSUER>/.well-known/openid-configuration, read on first use.
OIDC_ISSUER = env("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_LOGIN_LABEL = env("OIDC_LOGIN_LABEL", default="SSO")
OIDC_ALLOWED_DOMAINS = [domain.lower() for domain in env.list("OIDC_ALLOWED_DOMAINS", default=[])]
OIDC_CREATE_USERS = env.bool("OIDC_CREATE_USERS", default=False)
OIDC_ONLY = env.bool("OIDC_ONLY", default=False)
OIDC_TIMEOUT = 10  # seconds for each call to the provider
# mozilla-django-oidc: authorization code flow with PKCE (S256), state and nonce; the ID token is kept in
# the session for the provider's sign-out.
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
# Optional two-factor sign-in (TOTP) for password sign-ins; true makes it compulsory for staff.
REQUIRE_2FA_FOR_STAFF = env.bool("REQUIRE_2FA_FOR_STAFF", default=False)
OTP_TOTP_ISSUER = "OKR Hub"
# Sign-in lockout (teams/lockouts.py): LOGIN_FAILURE_LIMIT failures for one account, and separately from one
# client address, within LOGIN_LOCKOUT_MINUTES lock it out for that long; a successful sign-in resets it.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # locked for the period from the last counted failure
AXES_USERNAME_CALLABLE = "teams.lockouts.lockout_username"
AXES_CLIENT_IP_CALLABLE = "okrhub.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "teams.lockouts.lockout_response"
AXES_ENABLE_ADMIN = False  # unlocking is on the People page
AXES_DISABLE_ACCESS_LOG = True  # failures are counted; successful sign-ins need no extra row each
# Days an invitation link stays valid (teams.people_services.invitation_create).
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
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
if "redis" in CACHES["default"]["BACKEND"].lower():
    # A Redis that does not answer is an outage within seconds (okrhub/outages.py, /readyz), not a hang.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("socket_connect_timeout", 2)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 2)

# Email: EMAIL_URL as understood by django-environ (smtp+tls://user:pass@host:587, consolemail://, filemail://path).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if env("EMAIL_FILE_PATH", default=""):
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OKR Hub <okrhub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Reply to check in (notifications/replies.py): reminders carry Reply-To: INBOUND_EMAIL_ADDRESS (empty: off),
# as local+<token>@domain when the mail server delivers plus addresses; replies arrive by
# `manage.py receive_email` (pipe) or by polling INBOUND_IMAP_URL (imaps://user:pass@host:993/INBOX).
INBOUND_EMAIL_ADDRESS = env("INBOUND_EMAIL_ADDRESS", default="")
INBOUND_PLUS_ADDRESSING = env.bool("INBOUND_PLUS_ADDRESSING", default=False)
INBOUND_IMAP_URL = env("INBOUND_IMAP_URL", default="")
INBOUND_IMAP_PROCESSED_FOLDER = env("INBOUND_IMAP_PROCESSED_FOLDER", default="Processed")
INBOUND_MAX_MESSAGE_BYTES = env.int("INBOUND_MAX_MESSAGE_BYTES", default=5 * 1024 * 1024)

# Celery (okrhub/celery.py reads every CELERY_* setting).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# A message a poller marked seen (its claim) but never moved out is taken again once a poll has seen it so
# for this long: longer than any poller lives (the hard time limit), so never one that is still at work.
INBOUND_IMAP_STRANDED_SECONDS = env.int("INBOUND_IMAP_STRANDED_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Liveness (okrhub/heartbeat.py, `manage.py worker_alive`): the worker and beat touch a file in this folder;
# beat wakes at least once a minute to do so.
HEARTBEAT_DIR = env("HEARTBEAT_DIR", default=tempfile.gettempdir())
CELERY_BEAT_SCHEDULER = "okrhub.heartbeat:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
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
    # Daily, before the working day; each source is fetched at most once a day (datasources/tasks.py).
    "data-sources": {
        "task": "datasources.fetch_all",
        "schedule": crontab(minute=15, hour=env.int("DATA_SOURCE_FETCH_HOUR", default=5)),
        "options": {"expires": 23 * 60 * 60},
    },
    # Every minute: the dashboard's rollups that writes marked dirty and whose queued run was lost (each
    # write also queues one; checkins/tasks.py). Does nothing, in one query, when none is dirty.
    "refresh-rollups": {
        "task": "checkins.refresh_rollups",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
    # Every minute; does nothing without INBOUND_IMAP_URL. Two runs at once are safe (move + unique row).
    "inbound-email": {
        "task": "notifications.poll_inbound_email",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
}

# Webhooks, channel posts (integrations/safe_http.py): internal hosts, addresses, CIDRs allowed too.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)  # timeouts and 5xx; 4xx are not retried
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)  # 30 s, 1 min, 2 min …
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=5)  # failed deliveries in a row
CELERY_BEAT_SCHEDULE.update(
    {
        "integrations-attention": {
            "task": "integrations.check_attention",
            "schedule": crontab(minute=15),
            "options": {"expires": 55 * 60},
        },
        "integrations-weekly-summaries": {
            "task": "integrations.send_weekly_summaries",
            "schedule": crontab(minute=20),
            "options": {"expires": 55 * 60},
        },
        "integrations-retry-due": {
            "task": "integrations.retry_due_deliveries",
            "schedule": crontab(minute="*/5"),
            "options": {"expires": 4 * 60},
        },
    }
)
# Data sources (datasources/): hosts a key result may read from (comma-separated; empty: any public host —
# private, loopback and link-local addresses are refused unless listed), and the limits of one fetch.
DATA_SOURCE_ALLOWED_HOSTS = [host for host in env.list("DATA_SOURCE_ALLOWED_HOSTS", default=[]) if host]
DATA_SOURCE_TIMEOUT = env.float("DATA_SOURCE_TIMEOUT", default=5.0)  # seconds
DATA_SOURCE_MAX_BYTES = env.int("DATA_SOURCE_MAX_BYTES", default=1_000_000)
DATA_SOURCE_MAX_REDIRECTS = env.int("DATA_SOURCE_MAX_REDIRECTS", default=3)

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
    # OpenAPI 3.0 has no place for the requests OKR Hub sends: the webhooks tag links their JSON Schema.
    "TAGS": [
        {
            "name": "webhooks",
            "description": "Webhook and Teams/Slack channel endpoints. Every webhook request is a signed "
            "JSON event (X-OKRHub-Signature: sha256=<hex HMAC-SHA256 of the raw body with the endpoint's "
            "secret>).",
            "externalDocs": {
                "description": "The JSON Schema of every webhook request's body",
                "url": "/api/v1/schemas/webhook-event.json",
            },
        }
    ],
    "ENUM_NAME_OVERRIDES": {
        "CycleStatusEnum": "objectives.models.Cycle.Status",
        "ObjectiveStatusEnum": "objectives.models.Objective.Status",
        "InitiativeStatusEnum": "objectives.models.Initiative.Status",
        "WebhookKindEnum": "integrations.models.Endpoint.Kind",
    },
}

# Import of OKRs from spreadsheets (imports/): files up to this size and row count; files with at most
# IMPORT_SYNC_ROWS rows are checked and imported within the request, larger ones on a Celery worker.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20_000_000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
IMPORT_SYNC_ROWS = env.int("IMPORT_SYNC_ROWS", default=500)

# Security: safe by default when DEBUG is off; each relaxable from the environment (e.g. behind plain HTTP).
_secure_default = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure_default)
# The probes and /metrics never reach SecurityMiddleware (okrhub.health.ProbeMiddleware answers them first);
# the benchmark's one-query yardstick does, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/db$"]
# Trusted reverse proxies (addresses or networks). gunicorn reads the same variable and believes their
# X-Forwarded-Proto (so request.scheme is https behind a TLS proxy); okrhub/client_ip.py believes their
# X-Forwarded-For. Nobody else's forwarded headers count.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1"])
# Off by default: Django would read X-Forwarded-Proto from *anyone*; gunicorn already turns a trusted
# proxy's header into the request's scheme. Turn on only behind a server that strips the header itself.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure_default else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure_default)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure_default)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure_default)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure_default)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
# Database sessions that treat a malformed session cookie as none (okrhub/sessions.py).
SESSION_ENGINE = "okrhub.sessions"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts and styles from our own static files only, no inline code,
# no eval (htmx is told not to evaluate: <meta name="htmx-config"> in base.html). Forms post to us, plus
# FORM_ACTION_ORIGINS and the origin of OIDC_ISSUER (signing out redirects a form post to the provider);
# okrhub.middleware.ContentSecurityPolicyMiddleware adds those to form-action on every response.
FORM_ACTION_ORIGINS = env.list("FORM_ACTION_ORIGINS", default=[])
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

# /metrics (okrhub/metrics.py): served only with this bearer token; empty answers 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Logs (okrhub/logs.py): one JSON object per line in production (LOG_FORMAT=json), with the request id and
# user id on every record; plain text by default. Expected 403/404 are one line each, no traceback.
LOG_FORMAT = env("LOG_FORMAT", default="text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "permission_denied_one_line": {"()": "okrhub.log_filters.PermissionDeniedOneLine"},
        "request_context": {"()": "okrhub.logs.RequestContextFilter"},
    },
    "formatters": {
        "json": {"()": "okrhub.logs.JsonFormatter"},
        "text": {"()": "okrhub.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_context"],
        }
    },
    "loggers": {"django.request": {"filters": ["permission_denied_one_line"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
