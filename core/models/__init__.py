"""Core models. Plugins import what they need from here."""

from core.models.auth import Department, LoginAttempt, Role, RolePermission, User
from core.models.base import (
    MONEY_ZERO,
    AuthorMixin,
    BusinessRecord,
    EstateScopedMixin,
    Money,
    TimestampMixin,
    UTCDateTime,
    VoidableMixin,
    utcnow,
)
from core.models.estates import Building, Company, Estate, Occupancy, Resident, Unit
from core.models.system import (
    AuditLog,
    JobLease,
    Notification,
    NumberSequence,
    OnceKey,
    PluginState,
    Revision,
    Setting,
)

__all__ = [
    "MONEY_ZERO", "AuditLog", "AuthorMixin", "Building", "BusinessRecord", "Company",
    "Department", "Estate", "EstateScopedMixin", "JobLease", "LoginAttempt", "Money",
    "Notification", "NumberSequence", "Occupancy", "OnceKey", "PluginState", "Resident", "Revision",
    "Role", "RolePermission", "Setting", "TimestampMixin", "UTCDateTime", "Unit", "User",
    "VoidableMixin", "utcnow",
]
