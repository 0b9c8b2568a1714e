"""Reading the platform: the comment-service client and its payload parsers."""

from commentwatch.sources.client import ActionResult, CommentServiceClient, ServiceError
from commentwatch.sources.pages import Malformed, Page

__all__ = ["ActionResult", "CommentServiceClient", "Malformed", "Page", "ServiceError"]
