"""Operations (issue 16): health and readiness, metrics and logs, backups, single-run jobs.

What a volunteer with a VPS (docs/deploy.md) or a municipality with several machines needs to run
the site: nothing here serves residents or beheerders directly.
"""
