"""A lean keep-alive HTTP/1.1 client for the gateway's upstream calls (see ``connection.py`` for why)."""

from native_gateway.httpclient.connection import ConnectError, ProtocolError, UpstreamError, UpstreamTimeout
from native_gateway.httpclient.pool import Body, Pool, Response

__all__ = ["Body", "ConnectError", "Pool", "ProtocolError", "Response", "UpstreamError", "UpstreamTimeout"]
