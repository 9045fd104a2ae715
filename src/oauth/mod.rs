//! OAuth 2.0 for ServiceNow: the authorization request (`authorize`), the callback's query
//! (`callback`), the token endpoint (`token`) and the freshness policy (`lifecycle`).

pub mod authorize;
pub mod callback;
pub mod grants;
pub mod lifecycle;
pub mod refusal;
pub mod token;
