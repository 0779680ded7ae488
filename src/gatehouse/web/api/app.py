"""The admin REST API, mounted at ``/admin/api/v1`` (OpenAPI at ``/admin/api/v1/openapi.json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from gatehouse.web.api.auth import ApiCaller, current_client


class TenantInfo(BaseModel):
    id: str
    display_name: str
    region: str
    license_type: str
    created_at: datetime


def create_api() -> FastAPI:
    api = FastAPI(
        title="Gatehouse admin API",
        version="1",
        description="Tenant administration. HTTP Basic with an API client's ID and secret.",
        docs_url="/docs",
        redoc_url=None,
    )

    @api.get("/tenant", response_model=TenantInfo, tags=["tenant"])
    async def tenant_info(caller: Annotated[ApiCaller, Depends(current_client)]) -> TenantInfo:
        """The tenant the calling client belongs to."""
        t = caller.tenant
        return TenantInfo(
            id=t.id,
            display_name=t.display_name,
            region=t.region,
            license_type=t.license_type,
            created_at=t.created_at,
        )

    return api
