"""Read by gunicorn from its working folder (/app): the stack's command line sets everything else.

With several workers, /metrics must add up all of them: prometheus_client's multiprocess mode,
whose folder starts empty with each gunicorn and forgets workers that exited.
"""
import os
import shutil


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
