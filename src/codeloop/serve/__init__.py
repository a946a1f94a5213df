"""The execution service: ``codeloop serve`` (``app.create_app``) and SandboxFusion's request
and response (``fusion``)."""

from codeloop.serve.app import ServeConfig, create_app
from codeloop.serve.fusion import RunCodeRequest, RunCodeResponse, run_code

__all__ = ["RunCodeRequest", "RunCodeResponse", "ServeConfig", "create_app", "run_code"]
