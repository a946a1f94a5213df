"""The execution service, ``codeloop serve``.

    app.py     the ASGI app: admission, auth, limits, metrics, the endpoints (``create_app``)
    fusion.py  SandboxFusion's ``/run_code`` request and response, mapped onto the sandbox
"""

from codeloop.serve.app import ServeConfig, create_app
from codeloop.serve.fusion import RunCodeRequest, RunCodeResponse, run_code

__all__ = ["RunCodeRequest", "RunCodeResponse", "ServeConfig", "create_app", "run_code"]
