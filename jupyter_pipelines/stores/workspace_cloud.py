"""The members of v1's ``Workspace`` that only the Azure ML service can honour.

They are accepted with v1's signatures and marked (``compat.cloud_only`` / ``compat.refused``)
so that v1 code runs and docs/v1-compatibility.md says why each does nothing here.
"""

from __future__ import annotations

from typing import Any

from ..compat import cloud_only, refused

_ENDPOINTS = "private endpoints secure an Azure workspace's network; a local one has none"
_CONNECTIONS = "workspace connections are credentials stored in Azure; use environment variables"
_KEYS = "storage and registry keys belong to Azure resources; a local workspace has none"
_SERVING = "models, images and web services belong to Azure ML's model management"


class WorkspaceCloudMembers:
    """v1 ``Workspace`` members without local meaning (mixed into ``Workspace``)."""

    @property
    @cloud_only("the discovery URL names Azure ML's regional service endpoint")
    def discovery_url(self) -> None:
        return None

    @property
    @cloud_only("the service context holds Azure service endpoints and credentials")
    def service_context(self) -> None:
        return None

    @property
    @cloud_only(_ENDPOINTS)
    def private_endpoints(self) -> dict[str, Any]:
        return {}

    @property
    @cloud_only(_SERVING)
    def images(self) -> dict[str, Any]:
        return {}

    @property
    @cloud_only(_SERVING)
    def models(self) -> dict[str, Any]:
        return {}

    @property
    @cloud_only(_SERVING)
    def webservices(self) -> dict[str, Any]:
        return {}

    @property
    @cloud_only("linked services attach Azure Synapse workspaces")
    def linked_services(self) -> dict[str, Any]:
        return {}

    @cloud_only(_ENDPOINTS)
    def add_private_endpoint(
        self,
        private_endpoint_config: Any,
        private_endpoint_auto_approval: bool = True,
        location: str | None = None,
        show_output: bool = True,
        tags: dict[str, str] | None = None,
    ) -> None:
        return None

    @cloud_only(_ENDPOINTS)
    def delete_private_endpoint_connection(self, private_endpoint_connection_name: str) -> None:
        return None

    @cloud_only(_KEYS)
    def list_keys(self) -> dict[str, Any]:
        return {}

    @cloud_only(_KEYS)
    def sync_keys(self, no_wait: bool = False) -> None:
        return None

    @cloud_only("the diagnosis checks Azure resources (network, storage, registry, key vault)")
    def diagnose_workspace(self, diagnose_parameters: Any) -> dict[str, Any]:
        return {}

    @cloud_only("a local workspace has no container registry or other Azure resources")
    def update_dependencies(
        self, container_registry: str | None = None, force: bool = False
    ) -> None:
        return None

    @cloud_only(_CONNECTIONS)
    def set_connection(
        self, name: str, category: str, target: str, authType: str, value: str
    ) -> dict[str, Any]:
        return {}

    @cloud_only(_CONNECTIONS)
    def list_connections(self, category: str | None = None, target: str | None = None) -> str:
        return "[]"

    @cloud_only(_CONNECTIONS)
    def get_connection(self, name: str) -> dict[str, Any]:
        return {}

    @cloud_only(_CONNECTIONS)
    def delete_connection(self, name: str) -> None:
        return None

    @refused(
        "delete the workspace's '.pipelines' folder yourself if you mean to lose every run, "
        "dataset and registration it holds"
    )
    def delete(self, delete_dependent_resources: bool = False, no_wait: bool = False) -> None:
        return None
