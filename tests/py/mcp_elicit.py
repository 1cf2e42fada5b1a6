"""Answers guard's MCP confirmations through elicitation, with the official
MCP Python SDK acting as the client a person uses.

Usage: python3 tests/py/mcp_elicit.py SERVER_BINARY MODE ANSWER...
MODE is `legacy` (initialize handshake; the server sends `elicitation/create`
while the call waits) or `modern` (protocol 2026-07-28; the server answers
with an InputRequiredResult and the SDK calls again with the answer).
Calls `delete_all` once per ANSWER (`approve`, `deny`, `remember`: approve
and remember for the session, `cancel`), in `modern` mode then once more
with a forged answer, and prints one JSON object: each call's result, the
elicitation messages the person was shown and the answers left unused.
"""

import asyncio
import json
import sys

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.client import Client
from mcp.client.stdio import stdio_client


def answering(answers, shown):
    async def callback(context, params):
        shown.append(params.message)
        answer = answers.pop(0)
        if answer == "cancel":
            return types.ElicitResult(action="cancel")
        return types.ElicitResult(
            action="accept",
            content={"approve": answer != "deny", "remember": answer == "remember"},
        )

    return callback


def outcome(result):
    error = getattr(result, "is_error", None) or getattr(result, "isError", None)
    text = "".join(c.text for c in result.content if getattr(c, "text", None))
    return {"is_error": bool(error), "text": text}


async def main(binary, mode, answers):
    params = StdioServerParameters(command=binary, args=[])
    pending = list(answers)
    shown = []
    results = []
    callback = answering(pending, shown)
    if mode == "legacy":
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write, elicitation_callback=callback) as session:
                await session.initialize()
                for _ in answers:
                    results.append(outcome(await session.call_tool("delete_all", {})))
    else:
        async with Client(params, mode="2026-07-28", elicitation_callback=callback) as client:
            for _ in answers:
                results.append(outcome(await client.call_tool("delete_all", {})))
            # An answer to a request the server never made (a forged requestState).
            forged = await client.call_tool(
                "delete_all",
                {},
                request_state="apr-0000000000000000-1",
                input_responses={"guard_approval": {"action": "accept", "content": {"approve": True}}},
            )
            results.append(outcome(forged))
    print(json.dumps({"results": results, "shown": shown, "unused": pending}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
