"""${message}

Revision ID: ${up_revision}
% if down_revision:
Revises: ${down_revision | comma,n}
% else:
Revises: (none: the first revision of its branch)
% endif
Create Date: ${create_date}
"""

<%
    body = (upgrades or "") + (downgrades or "")
%>\
% if "sa." in body:
import sqlalchemy as sa
% endif
% if "op." in body:
from alembic import op
% endif
% if "core.models" in body:

import core.models.base
% endif
% if imports:
${imports}
% endif

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
% if depends_on is None and down_revision is None and branch_labels and "core" not in branch_labels:
depends_on = ("core_0001",)  # the core's tables first; add the first revision of each of your `depends`
% else:
depends_on = ${repr(depends_on)}
% endif


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
