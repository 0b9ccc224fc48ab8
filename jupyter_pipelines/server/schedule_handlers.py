"""REST handlers of schedules: list and create, one schedule (with its recent fires), change
it (enable/disable with ``status``), delete it."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .handlers import PipelinesHandler
from .scheduler import SCHEDULER_KEY
from .schedules import ScheduleService


class ScheduleHandler(PipelinesHandler):
    """Base of the schedule handlers: the schedule service of this server's workspace."""

    @property
    def schedules(self) -> ScheduleService:
        loop = self.settings.get(SCHEDULER_KEY)
        return ScheduleService(self.service.workspace, loop.holder if loop else None)

    def active_only(self) -> bool:
        return self.get_query_argument("active_only", "false").lower() in ("1", "true", "yes")


class SchedulesHandler(ScheduleHandler):
    """``schedules``: every schedule (``?active_only=true``) and which server fires them;
    POST makes one."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.schedules.list(self.active_only()))

    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.schedules.create(self.body()), status=201)


class ScheduleItemHandler(ScheduleHandler):
    """``schedules/{schedule_id}``: one schedule and its last fires (``?fires=N``, default
    20); PATCH changes it (``{"status": "Disabled"}`` disables it); DELETE removes it."""

    @web.authenticated
    @authorized
    def get(self, schedule_id: str) -> None:
        self.reply(self.schedules.get(schedule_id, self.int_arg("fires", 20)))

    @web.authenticated
    @authorized
    def patch(self, schedule_id: str) -> None:
        self.reply(self.schedules.update(schedule_id, self.body()))

    @web.authenticated
    @authorized
    def delete(self, schedule_id: str) -> None:
        self.reply(self.schedules.delete(schedule_id))
