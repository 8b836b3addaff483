"""The dxflow RQ worker and the job entry points it runs."""
