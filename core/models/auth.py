"""Staff, departments, roles and permission grants."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.extensions import db
from core.models.base import BusinessRecord, TimestampMixin, UTCDateTime, utcnow

if TYPE_CHECKING:
    from core.models.estates import Estate

user_estate = sa.Table(
    "core_user_estate",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("estate_id", sa.ForeignKey("core_estate.id", ondelete="CASCADE"), primary_key=True),
)

user_role = sa.Table(
    "core_user_role",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True),
)


class Department(TimestampMixin, db.Model):
    """A department of the management office (客服部, 维修部, 秩序部, 保洁, 绿化, 财务…).

    No authorship columns: users point at their department, so the reverse
    foreign key would make a cycle between the two tables.
    """

    __tablename__ = "core_department"
    __audited__ = True
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))


class Role(BusinessRecord, db.Model):
    """An editable set of permission codes (manager, supervisor, clerk, cashier…)."""

    __tablename__ = "core_role"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    grants: Mapped[list[RolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def permission_codes(self) -> set[str]:
        return {g.code for g in self.grants}

    @property
    def label(self) -> str:
        """The role's name in the reader's language: a standard role's translated title (as
        the roles pages show it), a site's own role by the name it was given."""
        from core.permissions import ROLES

        return str(ROLES.get(self.code, self.name))

    def set_permissions(self, codes) -> None:
        wanted = set(codes)
        for grant in list(self.grants):
            if grant.code not in wanted:
                self.grants.remove(grant)
        have = self.permission_codes
        for code in sorted(wanted - have):
            self.grants.append(RolePermission(code=code))


class RolePermission(db.Model):
    """One permission code granted to a role (grants and removals are audited)."""

    __tablename__ = "core_role_permission"
    __audited__ = True
    role_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    role: Mapped[Role] = relationship(back_populates="grants")


class User(UserMixin, BusinessRecord, db.Model):
    """A member of staff who logs in."""

    __tablename__ = "core_user"
    __audit_exclude__ = {"last_login_at", "session_version"}
    #: A sign-in's time is no edit of the user: no counter moves, no stamp
    #: (``core.revisions.only_bookkeeping``).
    __bookkeeping__ = {"last_login_at"}
    __audit_mask__ = {"password_hash"}
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    # Company-level staff (administrators, head office) see every estate.
    all_estates: Mapped[bool] = mapped_column(default=False)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_department.id"))
    # Bumped by end_sessions() (logout, password change, deactivation): sessions and
    # remember-me cookies carrying an older value no longer load the user.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    department: Mapped[Department | None] = relationship(lazy="joined")
    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")
    estates: Mapped[list[Estate]] = relationship(secondary=user_estate, lazy="selectin")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Sign this login out everywhere: every session cookie and remember-me cookie
        carries the version (``get_id``), and the user loader refuses an older one.
        Logout, a password change and deactivation call it; the caller commits."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_active(self) -> bool:  # flask-login
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def permission_codes(self) -> frozenset[str]:
        cached = getattr(self, "_perm_cache", None)
        if cached is None:
            cached = frozenset(c for r in self.roles for c in r.permission_codes)
            self._perm_cache = cached
        return cached

    def can(self, code: str) -> bool:
        perms = self.permission_codes
        return "*" in perms or code in perms

    @property
    def role_codes(self) -> set[str]:
        return {r.code for r in self.roles}

    def __repr__(self) -> str:
        return f"<User {self.username}>"


def password_method() -> str:
    from flask import current_app

    return current_app.config.get("PROPDESK_PASSWORD_METHOD", "scrypt")


_dummy_hashes: dict[str, str] = {}


def verify_login(user: User | None, password: str) -> bool:
    """Check ``password`` for the login form, spending the same hashing work whether
    or not the account exists (or is active): for an unknown username the password
    is checked against a dummy hash made with the site's method and cost, so the
    answer's timing does not tell which usernames exist. True only for an active
    user whose password matches."""
    if user is None:
        method = password_method()
        dummy = _dummy_hashes.get(method)
        if dummy is None:
            dummy = _dummy_hashes[method] = generate_password_hash("propdesk-no-such-user", method=method)
        check_password_hash(dummy, password)
        return False
    return user.check_password(password) and bool(user.active)


class LoginAttempt(db.Model):
    """Failed logins, for throttling per (username, address) and per address."""

    __tablename__ = "core_login_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
