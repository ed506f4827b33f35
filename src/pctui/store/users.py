"""Who may change what. The OS account running pctui is the user; roles are admin and biller.

Identity comes from the process's uid (``pwd.getpwuid(os.getuid())``), never from ``LOGNAME``
or ``USER``, which anyone can set. A uid with no passwd entry (a container, a deleted account)
is the user ``uid<number>`` (``uid1234``) — stable, and an admin can register it like any
other name. Looking a user up never takes the write lock: only the very first user of a new
database is written (as its admin).
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass

from sqlmodel import func, select

from pctui.core.codes import Role
from pctui.store import audit
from pctui.store.db import Store
from pctui.store.errors import PermissionDenied, ValidationFailed
from pctui.store.tables import User


def os_login() -> str:
    """The login name of the OS account running this process (by uid)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"


@dataclass(frozen=True)
class Actor:
    """The person using pctui right now. ``role`` is None for a login not registered here."""

    login: str
    role: Role | None
    first_admin: bool = False  # became admin because the database had no users yet

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_release(self) -> bool:
        return self.role in (Role.ADMIN, Role.BILLER)

    def describe(self) -> str:
        return f"{self.login} ({self.role.value if self.role else 'not registered: read-only'})"

    def require_admin(self, what: str) -> None:
        if not self.is_admin:
            raise PermissionDenied(admin_only_reason(self, what))

    def require_release(self) -> None:
        if not self.can_release:
            raise PermissionDenied(
                f"{self.login} is not registered in this database; an admin can add you with "
                f"`pctui users add {self.login} --role biller`"
            )


def admin_only_reason(actor: Actor, what: str) -> str:
    if actor.role is None:
        return (f"{what} is read-only for you: {actor.login} is not registered in this database "
                f"(an admin can run `pctui users add {actor.login} --role admin`)")
    return f"{what} is read-only for you: only an admin may change it (you are a {actor.role.value})"


def identify(store: Store, login: str | None = None) -> Actor:
    """The actor for ``login`` (default: the OS login). The first user of a new database
    becomes its admin."""
    login = login or os_login()
    with store.read() as session:  # a lookup: never the write lock
        user = session.exec(select(User).where(User.login == login)).first()
        if user is not None:
            return Actor(login, Role(user.role) if user.active else None)
        if session.exec(select(func.count()).select_from(User)).one() > 0:
            return Actor(login, None)
    with store.write() as session:  # a new database: its first user becomes admin
        user = session.exec(select(User).where(User.login == login)).first()
        if user is not None:  # another session registered this login meanwhile
            return Actor(login, Role(user.role) if user.active else None)
        if session.exec(select(func.count()).select_from(User)).one() == 0:
            session.add(User(login=login, role=Role.ADMIN, created_at=audit.now(),
                             created_by=login))
            audit.record(session, login, "user", None, login, "created",
                         {"role": [None, "admin"], "reason": "first user of this database"})
            return Actor(login, Role.ADMIN, first_admin=True)
    return Actor(login, None)


def add_user(store: Store, actor: Actor, login: str, role: Role | str) -> User:
    """Add or change a user. Only an admin may."""
    actor.require_admin("Users")
    login = login.strip()
    if not login or any(c.isspace() for c in login):
        raise ValidationFailed({"name": "a login name without spaces is required"})
    role = Role(role)
    with store.write() as session:
        user = session.exec(select(User).where(User.login == login)).first()
        if user is None:
            user = User(login=login, role=role, created_at=audit.now(), created_by=actor.login)
            session.add(user)
            audit.record(session, actor.login, "user", None, login, "created",
                         {"role": [None, role.value]})
        elif user.role != role or not user.active:
            audit.record(session, actor.login, "user", user.id, login, "changed",
                         {"role": [user.role, role.value]})
            user.role, user.active = role, True
            session.add(user)
    return user


def list_users(store: Store) -> list[User]:
    with store.read() as session:
        return list(session.exec(select(User).order_by(User.login)).all())
