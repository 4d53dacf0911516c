"""Rosters that match reality: every learner who recorded progress in a course (a module
completion or an assessment attempt) is on its roster as a learner, as recording now does
for every new event (app.infra.event_rows). An enrollment already there (as instructor or
learner) is left as it is. Its created_at is the learner's first fact in the course, the
closest to "since when" the data holds.

The SQL is this migration's own (not the app's): it must keep meaning what it meant today.
Downgrade removes nothing: the added rows cannot be told from enrollments made by hand.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:00:00

"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

FACTS = """
SELECT c.user_id, u.course_id, c.completed_at AS at
  FROM module_completions c
  JOIN modules m ON m.id = c.module_id
  JOIN units u ON u.id = m.unit_id
UNION ALL
SELECT t.user_id, COALESCE(a.course_id, au.course_id, mu.course_id), t.occurred_at
  FROM assessment_attempts t
  JOIN assessments a ON a.id = t.assessment_id
  LEFT JOIN units au ON au.id = a.unit_id
  LEFT JOIN modules am ON am.id = a.module_id
  LEFT JOIN units mu ON mu.id = am.unit_id
"""
ROSTER = f"""
INSERT INTO enrollments (user_id, course_id, role, created_at)
SELECT f.user_id, f.course_id, 'learner', MIN(f.at)
  FROM ({FACTS}) f
 WHERE f.course_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM enrollments e WHERE e.user_id = f.user_id AND e.course_id = f.course_id)
 GROUP BY f.user_id, f.course_id
"""


def upgrade():
    op.execute(ROSTER)


def downgrade():
    pass
