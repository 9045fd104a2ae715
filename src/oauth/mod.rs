//! OAuth 2.0 for ServiceNow: the authorization request (`authorize`), the callback's query
//! (`callback`), the token endpoint (`token`) and what its refusals mean by grant (`refusal`), the
//! unattended grants and renewing (`grants`), and the freshness policy (`lifecycle`).

pub mod authorize;
pub mod callback;
pub mod grants;
pub mod lifecycle;
mod refusal;
pub mod token;
