"""gunicorn settings for production; every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
accesslog = "-"
errorlog = "-"
# Only these peers (addresses or networks) may set X-Forwarded-Proto: the reverse proxy in front of us
# (docker-compose.yml gives it a fixed address). The same variable tells Django whose X-Forwarded-For to
# believe (okrhub/client_ip.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# LOG_FORMAT=json: Django logs every request as one JSON line (okrhub/logs.py), so no second, text access log.
if os.environ.get("LOG_FORMAT") == "json":
    accesslog = None


# /metrics sums every worker's request metrics when PROMETHEUS_MULTIPROC_DIR is set (okrhub/metrics.py):
# the folder starts empty, and a worker that exits stops counting as live.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
