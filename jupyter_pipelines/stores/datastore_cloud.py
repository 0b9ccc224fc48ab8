"""The v1 registrations of cloud-only datastore kinds, refused with the local alternative.

SQL databases, Databricks' DBFS, HDFS clusters and Azure Data Lake gen1 are services of
Azure (or of a cluster) that a local workspace cannot reach as folders. Each method keeps
v1's signature and raises ``NotSupportedError`` naming what to do instead: register a local
folder or any fsspec URL with ``Datastore.register(ws, name, url)``.
"""

from __future__ import annotations

from typing import Any

from ..compat import refused

_AS_FOLDER = (
    "export the data to files and register their folder, or any fsspec URL, with "
    "Datastore.register(ws, name, '/path/or/url')"
)
_SQL = (
    "query the database with its Python client, save the result (to_csv, to_parquet) and "
    "read it with Dataset.Tabular.from_delimited_files, or register the DataFrame with "
    "Dataset.Tabular.register_pandas_dataframe; " + _AS_FOLDER
)


class CloudDatastoreRegistrations:
    """v1 ``Datastore.register_*`` methods for services that have no local meaning."""

    @staticmethod
    @refused(
        "copy the Data Lake (gen1) files to a local folder and register it with "
        "Datastore.register(ws, name, '/path'), or register an 'adl://store' URL (needs adlfs)"
    )
    def register_azure_data_lake(
        workspace: Any,
        datastore_name: str,
        store_name: str,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        resource_url: str | None = None,
        authority_url: str | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        overwrite: bool = False,
        grant_workspace_access: bool = False,
    ) -> Any:
        """v1: register an Azure Data Lake Storage gen1 account (refused here)."""

    @staticmethod
    @refused(_SQL)
    def register_azure_sql_database(
        workspace: Any,
        datastore_name: str,
        server_name: str,
        database_name: str,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        resource_url: str | None = None,
        authority_url: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        username: str | None = None,
        password: str | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        grant_workspace_access: bool = False,
        **kwargs: Any,
    ) -> Any:
        """v1: register an Azure SQL database (refused here)."""

    @staticmethod
    @refused(_SQL)
    def register_azure_postgre_sql(
        workspace: Any,
        datastore_name: str,
        server_name: str,
        database_name: str,
        user_id: str,
        user_password: str,
        port_number: int | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        enforce_ssl: bool = True,
        **kwargs: Any,
    ) -> Any:
        """v1: register an Azure Database for PostgreSQL (refused here)."""

    @staticmethod
    @refused(_SQL)
    def register_azure_my_sql(
        workspace: Any,
        datastore_name: str,
        server_name: str,
        database_name: str,
        user_id: str,
        user_password: str,
        port_number: int | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        **kwargs: Any,
    ) -> Any:
        """v1: register an Azure Database for MySQL (refused here)."""

    @staticmethod
    @refused(
        "DBFS serves Databricks steps only; register a local folder or an fsspec URL with "
        "Datastore.register(ws, name, '/path/or/url') and use PythonScriptStep"
    )
    def register_dbfs(workspace: Any, datastore_name: str) -> Any:
        """v1: register Databricks' file system (refused here)."""

    @staticmethod
    @refused(
        "register the cluster's files by URL with Datastore.register(ws, name, "
        "'hdfs://namenode:8020/path') (needs pyarrow's HDFS support), or a local folder"
    )
    def register_hdfs(
        workspace: Any,
        datastore_name: str,
        protocol: str,
        namenode_address: str,
        hdfs_server_certificate: str,
        kerberos_realm: str,
        kerberos_kdc_address: str,
        kerberos_principal: str,
        kerberos_keytab: str | None = None,
        kerberos_password: str | None = None,
        overwrite: bool = False,
    ) -> Any:
        """v1: register an HDFS cluster with Kerberos (refused here)."""
