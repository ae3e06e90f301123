"""Scheduled jobs: plain functions (``tasks``) that call the pipeline, recorded in ``job_runs``; the schedules
they run on are data (``schedules``). The scheduler process (``flask scheduler``) runs them; ``flask cycle``
runs the cycle now."""
