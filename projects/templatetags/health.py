"""A project's budget health as the reader may see it (common.policy decides)."""

from django import template

from projects import health

register = template.Library()


@register.simple_tag(takes_context=True)
def budget_health(context, project):
    """The budget's level and reason, or the level in words without money. A template
    rendered without the policy's flag shows no money."""
    if context.get("can_see_money"):
        return project.budget_health
    return health.without_money(project.budget_health)
