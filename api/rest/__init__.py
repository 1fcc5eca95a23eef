"""Seed 003's REST interface beside GraphQL: agent runs, their status and reasoning traces
as iterations, runs listed by status (:mod:`.routes`), described by an OpenAPI document at
``/openapi.json`` and a page at ``/docs`` (:mod:`.openapi`). Every route goes through the
service layer with the same tenancy, API keys and guards as GraphQL."""
