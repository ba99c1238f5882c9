# OKR Hub production image: gunicorn serving Django, static files through whitenoise.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 okrhub

WORKDIR /app
COPY pyproject.toml requirements.lock ./
# Runtime packages only, at the versions CI tested (requirements.lock pins them).
RUN python - <<'PY' > /tmp/runtime.txt
import tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print("\n".join(deps))
PY
RUN pip install -r /tmp/runtime.txt -c requirements.lock

COPY . .
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py compilemessages

# Never root at run time (uid 1000; Kubernetes: runAsNonRoot, deploy/kubernetes/).
USER okrhub
EXPOSE 8000
# Liveness of the default command (gunicorn): /healthz answers while the process does, whatever the database
# does (readiness is /readyz). The worker and beat override it: `python manage.py worker_alive [--role beat]`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "okrhub.wsgi:application", "--config", "docker/gunicorn.conf.py"]
