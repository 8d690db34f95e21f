//! CloudTrail `userIdentity`: who acted, named the way analysts read it.

use super::json::{non_empty, Str};
use crate::event::PrincipalType;
use serde::Deserialize;

/// The `userIdentity` fields the principal is derived from.
#[derive(Deserialize, Debug)]
pub(crate) struct UserIdentity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Str<'a>>,
    #[serde(rename = "principalId", borrow)]
    principal_id: Option<Str<'a>>,
    #[serde(borrow)]
    arn: Option<Str<'a>>,
    #[serde(rename = "accountId", borrow)]
    account_id: Option<Str<'a>>,
    #[serde(rename = "userName", borrow)]
    user_name: Option<Str<'a>>,
    #[serde(rename = "invokedBy", borrow)]
    invoked_by: Option<Str<'a>>,
    #[serde(rename = "sessionContext", borrow)]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize, Debug)]
struct SessionContext<'a> {
    #[serde(rename = "sessionIssuer", borrow)]
    session_issuer: Option<SessionIssuer<'a>>,
}

#[derive(Deserialize, Debug)]
struct SessionIssuer<'a> {
    #[serde(rename = "userName", borrow)]
    user_name: Option<Str<'a>>,
}

/// The resource part of an ARN (after the fifth `:`), e.g. `assumed-role/Role/Session`.
pub fn arn_resource(arn: &str) -> Option<&str> {
    arn.splitn(6, ':').nth(5).filter(|r| !r.is_empty())
}

/// The last `/`-separated segment of an ARN's resource part.
fn arn_last(arn: &str) -> Option<&str> {
    arn_resource(arn)?
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// The principal and its type, by `userIdentity.type`:
/// - `IAMUser`: `userName`, else the ARN's last segment, else `principalId` (user);
/// - `AssumedRole`: `Role/Session` from `sessionIssuer.userName` and the ARN's last
///   segment, else the ARN's `assumed-role/Role/Session`, else `principalId` (assumed role);
/// - `Root`: `root` (root);
/// - `AWSService`: `invokedBy`, else `principalId` (service);
/// - `FederatedUser`: the name in `federated-user/Name`, else `principalId` after `:` (user);
/// - `AWSAccount`: `accountId`, else `principalId` (unknown);
/// - `IdentityCenterUser`, `SAMLUser`, `WebIdentityUser`, `Directory`: `userName`, else the
///   ARN, else `principalId` (user); any other or no type: the same, typed unknown (an
///   `assumed-role` ARN or a `:root` ARN without a type is still recognized).
///
/// `None` when the identity names nobody.
pub(crate) fn principal(ui: &UserIdentity<'_>) -> Option<(String, PrincipalType)> {
    let arn = non_empty(&ui.arn);
    let principal_id = non_empty(&ui.principal_id);
    let user_name = non_empty(&ui.user_name);
    let owned = |s: Option<&str>, t| s.map(|s| (s.to_owned(), t));
    let generic = |t| owned(user_name.or(arn).or(principal_id), t);
    match non_empty(&ui.kind).unwrap_or("") {
        "IAMUser" => owned(
            user_name
                .or_else(|| arn.and_then(arn_last))
                .or(principal_id),
            PrincipalType::User,
        ),
        "AssumedRole" => assumed_role(ui, arn, principal_id),
        "Root" => Some(("root".to_owned(), PrincipalType::Root)),
        "AWSService" => owned(
            non_empty(&ui.invoked_by).or(principal_id),
            PrincipalType::Service,
        ),
        "FederatedUser" => owned(
            arn.and_then(arn_resource)
                .and_then(|r| r.strip_prefix("federated-user/"))
                .or_else(|| principal_id.map(|p| p.rsplit(':').next().unwrap_or(p)))
                .or(user_name),
            PrincipalType::User,
        ),
        "AWSAccount" => owned(
            non_empty(&ui.account_id).or(principal_id),
            PrincipalType::Unknown,
        ),
        "IdentityCenterUser" | "SAMLUser" | "WebIdentityUser" | "Directory" => {
            generic(PrincipalType::User)
        }
        _ => match arn {
            Some(a) if a.contains(":assumed-role/") => assumed_role(ui, arn, principal_id),
            Some(a) if a.ends_with(":root") => Some(("root".to_owned(), PrincipalType::Root)),
            _ => generic(PrincipalType::Unknown),
        },
    }
}

fn assumed_role(
    ui: &UserIdentity<'_>,
    arn: Option<&str>,
    principal_id: Option<&str>,
) -> Option<(String, PrincipalType)> {
    let t = PrincipalType::AssumedRole;
    let issuer = ui
        .session_context
        .as_ref()
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| non_empty(&i.user_name));
    let session = arn
        .and_then(arn_last)
        .or_else(|| principal_id.and_then(|p| p.split_once(':')).map(|(_, s)| s))
        .filter(|s| !s.is_empty());
    let from_arn = arn
        .and_then(arn_resource)
        .and_then(|r| r.strip_prefix("assumed-role/"));
    match (issuer, session, from_arn) {
        (Some(role), Some(session), _) => Some((format!("{role}/{session}"), t)),
        (None, _, Some(role_session)) => Some((role_session.to_owned(), t)),
        (Some(role), None, _) => Some((role.to_owned(), t)),
        (None, _, None) => principal_id.or(arn).map(|p| (p.to_owned(), t)),
    }
}
