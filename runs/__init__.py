"""Prefect runs: the one adapter through which the studio starts, reads, resumes and cancels runs, and recovery from crashes."""
