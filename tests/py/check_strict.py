"""Checks that guard's strict wire schemas are already what OpenAI's own
Agents SDK would send: `ensure_strict_json_schema` must leave each unchanged.

Reads a JSON object {tool_name: schema} on stdin; prints one line per tool
and exits non-zero if any schema was changed or rejected.
"""

import copy
import json
import sys

from agents.strict_schema import ensure_strict_json_schema

schemas = json.load(sys.stdin)
failures = 0
for name, schema in schemas.items():
    try:
        result = ensure_strict_json_schema(copy.deepcopy(schema))
    except Exception as err:  # the SDK raises UserError for non-strict input
        print(f"{name}: rejected: {err}")
        failures += 1
        continue
    if result != schema:
        print(f"{name}: changed:\n  ours:   {json.dumps(schema)}\n  theirs: {json.dumps(result)}")
        failures += 1
    else:
        print(f"{name}: unchanged")
print(f"{len(schemas) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
