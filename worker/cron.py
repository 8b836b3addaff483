"""Periodic jobs, read by the scheduler role (``rq cron worker.cron``; one scheduler per deployment).

Register each with ``rq.cron.register(func, queue_name="dxflow", cron="0 3 * * *", kwargs={...})``. None are
registered yet; the monitoring issue adds its drift checks here. Delayed jobs and retries need no entry: RQ's
scheduler inside the workers enqueues them.
"""
