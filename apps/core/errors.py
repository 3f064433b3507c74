from __future__ import annotations

from django.core.exceptions import ValidationError


class FieldErrors(ValidationError):
    """A ValidationError whose errors may nest (e.g. configuration → group → messages).

    `message_dict` stays flat for forms; `detail` keeps the nesting for the API.
    """

    def __init__(self, errors: dict):
        self.detail = errors
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            if isinstance(value, dict):
                flat[key] = [f"{k}: {' '.join(map(str, m))}" for k, m in value.items()]
            else:
                flat[key] = [str(v) for v in value]
        super().__init__(flat)
