"""Schemathesis hooks for scripts/schemathesis: the rules of the console API that JSON Schema
cannot state, so that generated "valid" requests are valid.

Every other rule is in the OpenAPI document itself (codis_model::schema).
"""

import schemathesis


def _as_int(value):
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@schemathesis.hook
def filter_body(context, body):
    """Two actions relate two fields, which JSON Schema cannot state. A request breaking either is
    refused with 400 naming the field (codis_model::action), as it must be, so it is not generated
    as if it were valid:

    - slots-create-range: beg <= end (the range is inclusive; `end` is named);
    - slots-create-some: from != to (slots move to another group; `to` is named).
    """
    if not isinstance(body, dict):
        return True
    action = body.get("action")
    if action == "slots-create-range":
        beg, end = _as_int(body.get("beg")), _as_int(body.get("end"))
        if beg is not None and end is not None and beg > end:
            return False
    if action == "slots-create-some":
        source, target = _as_int(body.get("from")), _as_int(body.get("to"))
        if source is not None and source == target:
            return False
    return True
