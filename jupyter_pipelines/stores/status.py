"""Run and step statuses, with the Azure ML v1 names."""

from __future__ import annotations

NOT_STARTED = "NotStarted"
QUEUED = "Queued"
RUNNING = "Running"
CANCEL_REQUESTED = "CancelRequested"
FINISHED = "Finished"
FAILED = "Failed"
CANCELED = "Canceled"

#: A run or step in one of these states will not change any more.
TERMINAL = frozenset({FINISHED, FAILED, CANCELED})
ALL = (NOT_STARTED, QUEUED, RUNNING, CANCEL_REQUESTED, FINISHED, FAILED, CANCELED)
