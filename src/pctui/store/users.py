"""Who may change what. The OS account running pctui is the user; roles are admin and biller.

Identity comes from the process's uid (``pwd.getpwuid(os.getuid())``), never from ``LOGNAME``
or ``USER``, which anyone can set. A uid with no passwd entry (a container, a deleted account)
is the user ``uid<number>`` (``uid1234``) — stable, and an admin can register it like any
other name. Looking a user up never takes the write lock: only the very first user of a new
database is written (as its admin).

Rights are checked against the database at the moment of each change, not against what they
were when the session started: an ``Actor`` from :func:`identify` carries its store, and
``require_admin``/``require_release`` read the user's role as it is now. A user an admin
deactivates (or demotes) while their app is open loses the rights with their next change.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass, field, replace

from sqlmodel import Session, func, select

from pctui.core.codes import Role
from pctui.core.text import unsafe_characters, visible
from pctui.store import audit
from pctui.store.db import Store
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
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
    role: Role | None  # as it was when the session started (what the screens show)
    first_admin: bool = False  # became admin because the database had no users yet
    deactivated: bool = False  # registered, but an admin took their rights away
    store: Store | None = field(default=None, compare=False, repr=False)  # to check rights now

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_release(self) -> bool:
        return self.role in (Role.ADMIN, Role.BILLER)

    def describe(self) -> str:
        if self.deactivated:
            return f"{self.login} (deactivated: read-only)"
        return f"{self.login} ({self.role.value if self.role else 'not registered: read-only'})"

    def now(self) -> Actor:
        """This user with the role the database gives them at this moment (a lookup, never
        the write lock): an admin may have changed it since the session started."""
        if self.store is None:
            return self
        with self.store.read() as session:
            user = session.exec(select(User).where(User.login == self.login)).first()
        role = Role(user.role) if user is not None and user.active else None
        deactivated = user is not None and not user.active
        if role is self.role and deactivated == self.deactivated:
            return self
        return replace(self, role=role, first_admin=False, deactivated=deactivated)

    def require_admin(self, what: str) -> None:
        current = self.now()
        if not current.is_admin:
            raise PermissionDenied(admin_only_reason(current, what))

    def require_release(self) -> None:
        current = self.now()
        if not current.can_release:
            if current.deactivated:
                raise PermissionDenied(_deactivated(current))
            raise PermissionDenied(
                f"{self.login} is not registered in this database; an admin can add you with "
                f"`pctui users add {self.login} --role biller`"
            )


def _deactivated(actor: Actor) -> str:
    return (f"{actor.login} was deactivated in this database: read-only (an admin can run "
            f"`pctui users reactivate {actor.login}`)")


def admin_only_reason(actor: Actor, what: str) -> str:
    if actor.deactivated:
        return f"{what} is read-only for you: {_deactivated(actor)}"
    if actor.role is None:
        return (f"{what} is read-only for you: {actor.login} is not registered in this database "
                f"(an admin can run `pctui users add {actor.login} --role admin`)")
    return f"{what} is read-only for you: only an admin may change it (you are a {actor.role.value})"


def biller_only_reason(actor: Actor, what: str) -> str:
    """Why ``what`` (a biller's work: releasing, submitting, resolving) is read-only for
    ``actor``: deactivated, or not registered here."""
    if actor.deactivated:
        return f"{what} is read-only for you: {_deactivated(actor)}"
    return (f"{what} is read-only for you: {actor.login} is not registered in this database "
            f"(an admin can run `pctui users add {actor.login} --role biller`)")


def identify(store: Store, login: str | None = None) -> Actor:
    """The actor for ``login`` (default: the OS login). The first user of a new database
    becomes its admin."""
    login = login or os_login()
    with store.read() as session:  # a lookup: never the write lock
        user = session.exec(select(User).where(User.login == login)).first()
        if user is not None:
            return Actor(login, Role(user.role) if user.active else None,
                         deactivated=not user.active, store=store)
        if session.exec(select(func.count()).select_from(User)).one() > 0:
            return Actor(login, None, store=store)
    with store.write() as session:  # a new database: its first user becomes admin
        user = session.exec(select(User).where(User.login == login)).first()
        if user is not None:  # another session registered this login meanwhile
            return Actor(login, Role(user.role) if user.active else None,
                         deactivated=not user.active, store=store)
        if session.exec(select(func.count()).select_from(User)).one() == 0:
            session.add(User(login=login, role=Role.ADMIN, created_at=audit.now(),
                             created_by=login))
            audit.record(session, login, "user", None, login, "created",
                         {"role": [None, "admin"], "reason": "first user of this database"})
            return Actor(login, Role.ADMIN, first_admin=True, store=store)
    return Actor(login, None, store=store)


def _login_problem(login: str) -> str | None:
    if not login or any(c.isspace() for c in login):
        return "a login name without spaces is required"
    bad = unsafe_characters(login)
    if bad:
        return f"a login name cannot contain {', '.join(bad)}"
    if len(login) > 64:
        return "64 characters at most"
    return None


def _keep_an_admin(session: Session, user: User, role: Role, active: bool) -> None:
    """Refuse the change that would leave the database without an active admin."""
    if not (user.role == Role.ADMIN and user.active) or (role is Role.ADMIN and active):
        return
    others = session.exec(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active == True, User.id != user.id)).one()  # noqa: E712
    if others == 0:
        raise ValidationFailed({"name": f"{user.login} is the last active admin of this "
                                        "database; make another user admin first"})


def add_user(store: Store, actor: Actor, login: str, role: Role | str) -> User:
    """Add a user, or change a user's role (reactivating a deactivated one). Only an admin
    may; the last active admin cannot stop being one."""
    actor.require_admin("Users")
    login = login.strip()
    problem = _login_problem(login)
    if problem:
        raise ValidationFailed({"name": problem})
    role = Role(role)
    with store.write() as session:
        user = session.exec(select(User).where(User.login == login)).first()
        if user is None:
            user = User(login=login, role=role, created_at=audit.now(), created_by=actor.login)
            session.add(user)
            audit.record(session, actor.login, "user", None, login, "created",
                         {"role": [None, role.value]})
        elif user.role != role or not user.active:
            _keep_an_admin(session, user, role, True)
            changes: dict[str, object] = {}
            if user.role != role:
                changes["role"] = [user.role, role.value]
            if not user.active:
                changes["active"] = [False, True]
            audit.record(session, actor.login, "user", user.id, login,
                         "changed" if "role" in changes else "reactivated", changes)
            user.role, user.active = role, True
            session.add(user)
    return user


def set_role(store: Store, actor: Actor, login: str, role: Role | str) -> User:
    """Change a registered user's role (admin only, audited)."""
    actor.require_admin("Users")
    _existing(store, login)
    return add_user(store, actor, login, role)


def set_active(store: Store, actor: Actor, login: str, active: bool) -> User:
    """Deactivate a user (they keep read-only access, like an unregistered login; their name
    stays on everything they did) or reactivate one. Admin only, audited; the last active
    admin cannot be deactivated."""
    actor.require_admin("Users")
    with store.write() as session:
        user = session.exec(select(User).where(User.login == login.strip())).first()
        if user is None:
            raise NotFound(f"{visible(login)} is not a user of this database (`pctui users list`)")
        if user.active != active:
            _keep_an_admin(session, user, Role(user.role), active)
            user.active = active
            session.add(user)
            audit.record(session, actor.login, "user", user.id, user.login,
                         "reactivated" if active else "deactivated", {"active": [not active, active]})
        return user


def _existing(store: Store, login: str) -> User:
    with store.read() as session:
        user = session.exec(select(User).where(User.login == login.strip())).first()
    if user is None:
        raise NotFound(f"{visible(login)} is not a user of this database (`pctui users list`)")
    return user


def list_users(store: Store) -> list[User]:
    with store.read() as session:
        return list(session.exec(select(User).order_by(User.login)).all())
