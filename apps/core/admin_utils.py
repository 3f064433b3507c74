"""Admin helpers shared by every app's admin (Django-only imports)."""

from __future__ import annotations

from django.contrib.admin.utils import NestedObjects, quote
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst


class JoinedNestedObjects(NestedObjects):
    """Loads each related row with its foreign keys (select_related): the delete page
    prints every row, and a __str__ naming its parents would query once per row."""

    def related_objects(self, related_model, related_fields, objs):
        return super().related_objects(related_model, related_fields, objs).select_related()


class JoinedDeleteMixin:
    """A delete page whose list of related and protected rows costs a query per model,
    not per row. Django's get_deleted_objects with JoinedNestedObjects as collector."""

    def get_deleted_objects(self, objs, request):
        if not objs:
            return [], {}, set(), []
        site = self.admin_site
        collector = JoinedNestedObjects(using=router.db_for_write(objs[0]._meta.model), origin=objs)
        collector.collect(objs)
        perms_needed: set = set()

        def format_callback(obj):
            opts = obj._meta
            label = capfirst(opts.verbose_name)
            if not site.is_registered(obj.__class__):
                return f"{label}: {obj}"
            if not site.get_model_admin(obj.__class__).has_delete_permission(request, obj):
                perms_needed.add(opts.verbose_name)
            try:
                url = reverse(
                    f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=(quote(obj.pk),)
                )
            except NoReverseMatch:
                return f"{label}: {obj}"
            return format_html('{}: <a href="{}">{}</a>', label, url, obj)

        to_delete = collector.nested(format_callback)
        protected = [format_callback(obj) for obj in collector.protected]
        model_count = {
            model._meta.verbose_name_plural: len(rows)
            for model, rows in collector.model_objs.items()
        }
        return to_delete, model_count, perms_needed, protected
