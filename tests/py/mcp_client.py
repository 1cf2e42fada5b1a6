"""Drives guard's MCP server with the official MCP Python SDK.

Usage: python3 tests/py/mcp_client.py SERVER_BINARY
Prints one JSON object: the tools listed (with annotations) and the result
of each call (isError and text).
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(binary):
    params = StdioServerParameters(command=binary, args=[])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            tools = {
                # The wire names (readOnlyHint, ...), whatever the SDK calls the fields.
                tool.name: (
                    tool.annotations.model_dump(by_alias=True, exclude_none=True)
                    if tool.annotations
                    else {}
                )
                for tool in listed.tools
            }
            calls = {}
            for name, arguments in [
                ("weather", {"city": "Oslo"}),
                ("read_file", {"path": "../../etc/passwd"}),
                ("delete_all", {}),
                ("admin_reset", {}),
            ]:
                result = await session.call_tool(name, arguments)
                calls[name] = {
                    "is_error": bool(getattr(result, "is_error", None) or getattr(result, "isError", None)),
                    "text": "".join(c.text for c in result.content if getattr(c, "text", None)),
                }
            print(json.dumps({"tools": tools, "calls": calls}, sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
