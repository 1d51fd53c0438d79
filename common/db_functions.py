"""Small SQL functions Django lacks, written for both databases the app runs on."""

from django.db import models


class DaysBetween(models.Func):
    """Whole days from `earlier` to `later` (two dates), negative when `later` comes first.

    PostgreSQL subtracts dates to an integer; SQLite counts through julianday().
    """

    output_field = models.IntegerField()
    arity = 2

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class OuterValue(models.ExpressionWrapper):
    """A value of the outer query's row inside an aggregating subquery.

    Django would put an expression over OuterRef into the subquery's GROUP BY, which it
    cannot compile there; a value of the outer row is constant for the subquery anyway.
    """

    def get_group_by_cols(self):
        return []
