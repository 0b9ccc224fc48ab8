"""The v1 authentication classes, authenticating against the local Jupyter server.

In v1 an authentication object gets an Azure AD token; here the REST API that v1 code
calls (published pipeline endpoints, the run API) is the jupyter_pipelines extension of a
running Jupyter server, which accepts that server's token. So every class answers with the
header ``{"Authorization": "Bearer <server token>"}`` (v1's shape, which Jupyter accepts)
of the server that serves the workspace: the one a ``Workspace`` opened with this ``auth``
lives in, else the one ``Workspace.from_config()`` would open (started in the background
when none serves it). The credentials v1 takes (tenant, service principal, managed
identity) are kept but not used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import AuthenticationException
from .background import server_if_workspace
from .servers import ServerInfo
from .workspace_config import local_root

#: How long a token handed out by ``get_token`` is said to be valid (the server's token
#: lasts as long as the server; callers refresh after this).
TOKEN_LIFETIME_S = 3600


class AccessToken(NamedTuple):
    """A token and its expiry (unix time), as ``azure.core.credentials.AccessToken``."""

    token: str
    expires_on: int


class AbstractAuthentication:
    """What every v1 authentication class offers: the header, a token, a signed session."""

    def __init__(self, cloud: str | None = None) -> None:
        self.cloud = cloud
        self._workspace_root: Path | None = None

    def _bind_workspace(self, root: Path) -> None:
        """Authenticate for the workspace rooted at ``root`` (the first one opened with this
        object), rather than the one found from the current folder."""
        if self._workspace_root is None:
            self._workspace_root = Path(root)

    def _server(self) -> ServerInfo:
        root = self._workspace_root or local_root()
        # A workspace no server serves gets one in the background (stores/background.py).
        server = server_if_workspace(root)
        if server is None:
            raise AuthenticationException(
                f"no running Jupyter server serves the workspace in {str(root)!r}, so there is "
                f"no token to authenticate with; start one there with 'jupyter lab' (or "
                f"'make lab' in a jupyter_pipelines checkout) and ask again"
            )
        return server

    def get_authentication_header(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` (v1's shape) for the REST API of the Jupyter
        server that serves the workspace (``{}`` when that server asks for no token). When
        none serves it, one is started in the background for it (stores/background.py);
        AuthenticationException names the folder when it holds no workspace."""
        token = self._server().token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get_token(self, *scopes: Any, **kwargs: Any) -> AccessToken:
        """The server's token, valid for the next hour as far as callers should assume."""
        del scopes, kwargs  # scopes name Azure resources; the server has one token
        return AccessToken(self._server().token, int(time.time()) + TOKEN_LIFETIME_S)

    def signed_session(self, session: Any = None) -> Any:
        """A ``requests.Session`` (``session`` or a new one) sending the header."""
        if session is None:
            import requests

            session = requests.Session()
        session.headers.update(self.get_authentication_header())
        return session

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class InteractiveLoginAuthentication(AbstractAuthentication):
    """v1's interactive (browser) login; here the token of the local Jupyter server."""

    def __init__(
        self, force: bool = False, tenant_id: str | None = None, cloud: str | None = None
    ) -> None:
        super().__init__(cloud)
        self.force = force
        self.tenant_id = tenant_id


class ServicePrincipalAuthentication(AbstractAuthentication):
    """v1's service principal login (for automation); here the token of the local Jupyter
    server. The principal's id and password are kept, never used or shown."""

    def __init__(
        self,
        tenant_id: str,
        service_principal_id: str,
        service_principal_password: str,
        cloud: str = "AzureCloud",
        **_v1_arguments: Any,
    ) -> None:
        super().__init__(cloud)
        self.tenant_id = tenant_id
        self.service_principal_id = service_principal_id
        self._service_principal_password = service_principal_password


class MsiAuthentication(AbstractAuthentication):
    """v1's managed identity (on an Azure VM); here the token of the local Jupyter server."""

    def __init__(self, cloud: str | None = None, **kwargs: Any) -> None:
        super().__init__(cloud)
        self.identity_config = dict(kwargs.get("identity_config") or {})


__all__ = [
    "AbstractAuthentication",
    "AccessToken",
    "InteractiveLoginAuthentication",
    "MsiAuthentication",
    "ServicePrincipalAuthentication",
]
