//! The wasm side of the [`HttpClient`] seam: requests go out through `fetch`, the global one (bound
//! as a global, not through `window`, so it works in browsers, workerd and Node alike), or one the
//! caller injected (`new Connection(settings, { fetch })`); both are called as `fetch(url, init)`,
//! with the headers as one array of `[name, value]` pairs (one crossing of the boundary, as JSON).
//! gloo-net's `Response` reads every answer. Its `RequestBuilder` is not used to send: it builds each
//! request twice (and a `URL` between), which costs more than the rest of a token exchange in Node,
//! and its `send` panics, with the value `Debug`-formatted (float formatting, about 17 KB of wasm),
//! when `fetch` resolves to something that is not a `Response`; here that is a network error. Of an
//! answer's headers, `content-type` is always read, the rate-limit ones only when the status is not
//! 2xx (the only answers the core reads them on).
//!
//! Redirects are not followed (`redirect: "manual"`): a token request must never be replayed, with
//! its secrets, to wherever a redirect points, and a redirect from the API means the Base URL is
//! wrong; the 3xx (or, in browsers, the opaque status 0) reaches the core as an answer. Every request
//! is aborted after its time limit, body included: a timer calls the request's
//! `AbortController.abort` (through a function made once in JavaScript, so no Rust closure crosses
//! the boundary per request) and is cleared as soon as the body is in; `AbortSignal.timeout` would leave one pending timer per request
//! alive for the whole limit. An abort is a timeout, since nothing else aborts.

use core::future::Future;

use gloo_net::http::Response;
use js_sys::{Function, JSON, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, RequestRedirect};

use super::boundary::RESPONSE_HEADERS;
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Promise;

    /// The global `setTimeout` (browsers, workers and Node all have it; no `window` needed), which
    /// calls `handler(argument)`.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, milliseconds: i32, argument: &JsValue) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(timer: &JsValue);
}

thread_local! {
    /// `controller => controller.abort()` without a Rust closure: `Function.prototype.call` bound to
    /// `AbortController.prototype.abort`, made once.
    static ABORT: Option<Function> = abort_caller();
}

fn abort_caller() -> Option<Function> {
    let member = |object: &JsValue, name: &str| Reflect::get(object, &JsValue::from_str(name)).ok();
    let constructor = member(&js_sys::global(), "AbortController")?;
    let abort = member(&member(&constructor, "prototype")?, "abort")?;
    let call = member(&abort, "call")?.dyn_into::<Function>().ok()?;
    Some(call.bind0(&abort))
}

/// Sends with `fetch`: the injected one when given, else the global one.
#[derive(Clone, Default)]
pub(crate) struct FetchClient {
    pub(crate) fetch: Option<Function>,
}

impl HttpClient for FetchClient {
    fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> {
        let fetch = self.fetch.clone();
        async move { send(fetch.as_ref(), &request).await }
    }
}

async fn send(
    fetch: Option<&Function>,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let controller = AbortController::new().map_err(|_| TransportError::Network)?;
    let abort = ABORT.with(Clone::clone).ok_or(TransportError::Network)?;
    let limit = i32::try_from(request.timeout_ms).unwrap_or(i32::MAX);
    let timer = set_timeout(&abort, limit, &controller);
    let answer = exchange(fetch, request, &controller).await;
    clear_timeout(&timer);
    answer.map_err(|()| {
        if controller.signal().aborted() {
            TransportError::Timeout
        } else {
            TransportError::Network
        }
    })
}

/// One request and its whole answer; `Err` when no answer came (refused, reset, aborted, CORS).
async fn exchange(
    fetch: Option<&Function>,
    request: &HttpRequest,
    controller: &AbortController,
) -> Result<HttpResponse, ()> {
    let headers = serde_json::to_string(&request.headers)
        .ok()
        .and_then(|pairs| JSON::parse(&pairs).ok())
        .ok_or(())?;
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&controller.signal()));
    let promise = match fetch {
        None => global_fetch(&request.url, &init),
        Some(fetch) => {
            let returned = fetch
                .call2(&JsValue::NULL, &JsValue::from_str(&request.url), &init)
                .map_err(|_| ())?;
            // Whatever it returned (a promise or a response), await it as a promise.
            Promise::resolve(&returned)
        }
    };
    let response = JsFuture::from(promise)
        .await
        .map_err(|_| ())?
        .dyn_into::<web_sys::Response>()
        .map(Response::from)
        .map_err(|_| ())?;
    let status = response.status();
    let headers = response.headers();
    let read = if (200..300).contains(&status) {
        RESPONSE_HEADERS.get(..1).unwrap_or_default()
    } else {
        RESPONSE_HEADERS.as_slice()
    };
    let headers = read
        .iter()
        .filter_map(|&name| Some((name.to_owned(), headers.get(name)?)))
        .collect();
    let body = response.binary().await.map_err(|_| ())?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
