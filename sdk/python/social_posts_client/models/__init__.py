"""Contains all the data models used in inputs/outputs"""

from .admin_list_users_role_type_0 import AdminListUsersRoleType0
from .auth_jwks_response_auth_jwks import AuthJwksResponseAuthJwks
from .auth_jwks_well_known_response_auth_jwks_well_known import AuthJwksWellKnownResponseAuthJwksWellKnown
from .author_public import AuthorPublic
from .deleted_post_page import DeletedPostPage
from .deleted_post_public import DeletedPostPublic
from .login_form import LoginForm
from .login_request import LoginRequest
from .media_list import MediaList
from .media_public import MediaPublic
from .media_status import MediaStatus
from .media_upload_body import MediaUploadBody
from .message import Message
from .my_vote import MyVote
from .my_votes_page import MyVotesPage
from .password_change import PasswordChange
from .password_forgot import PasswordForgot
from .password_reset import PasswordReset
from .post_create import PostCreate
from .post_page import PostPage
from .post_public import PostPublic
from .post_replace import PostReplace
from .post_update import PostUpdate
from .posts_list_sort import PostsListSort
from .problem import Problem
from .refresh_request import RefreshRequest
from .role_update import RoleUpdate
from .role_update_role import RoleUpdateRole
from .session_public import SessionPublic
from .tier_assign import TierAssign
from .tier_create import TierCreate
from .tier_limit_in import TierLimitIn
from .tier_limit_public import TierLimitPublic
from .tier_limits_replace import TierLimitsReplace
from .tier_public import TierPublic
from .tier_update import TierUpdate
from .token_pair import TokenPair
from .user_admin_public import UserAdminPublic
from .user_create import UserCreate
from .user_page import UserPage
from .user_public import UserPublic
from .user_update import UserUpdate
from .validation_issue import ValidationIssue
from .verify_email import VerifyEmail
from .vote_state import VoteState

__all__ = (
    "AdminListUsersRoleType0",
    "AuthJwksResponseAuthJwks",
    "AuthJwksWellKnownResponseAuthJwksWellKnown",
    "AuthorPublic",
    "DeletedPostPage",
    "DeletedPostPublic",
    "LoginForm",
    "LoginRequest",
    "MediaList",
    "MediaPublic",
    "MediaStatus",
    "MediaUploadBody",
    "Message",
    "MyVote",
    "MyVotesPage",
    "PasswordChange",
    "PasswordForgot",
    "PasswordReset",
    "PostCreate",
    "PostPage",
    "PostPublic",
    "PostReplace",
    "PostsListSort",
    "PostUpdate",
    "Problem",
    "RefreshRequest",
    "RoleUpdate",
    "RoleUpdateRole",
    "SessionPublic",
    "TierAssign",
    "TierCreate",
    "TierLimitIn",
    "TierLimitPublic",
    "TierLimitsReplace",
    "TierPublic",
    "TierUpdate",
    "TokenPair",
    "UserAdminPublic",
    "UserCreate",
    "UserPage",
    "UserPublic",
    "UserUpdate",
    "ValidationIssue",
    "VerifyEmail",
    "VoteState",
)
