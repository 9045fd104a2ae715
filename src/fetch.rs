//! [`HttpClient`] over the global `fetch`, for browsers, workers and Node alike.
//!
//! `fetch` is bound as a global function rather than through `window`, which workers do not have.
//! Redirects are not followed (`redirect: "manual"`): a token request must never be replayed, with its
//! secrets, to wherever a redirect points, and a redirect from the API means a wrong Base URL. Every
//! request carries `AbortSignal.timeout`, so no call outlives its configured time limit.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit, RequestRedirect, Response};

use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

/// Sends requests with the platform's `fetch`.
pub(crate) struct FetchClient;

impl HttpClient for FetchClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let js_request = build_request(&request).map_err(|_| TransportError::Network)?;
        let response: Response = JsFuture::from(global_fetch(&js_request))
            .await
            .map_err(|error| classify(&error))?
            .dyn_into()
            .map_err(|_| TransportError::Network)?;
        let headers = read_headers(&response.headers());
        let buffer = response.array_buffer().map_err(|e| classify(&e))?;
        let body = JsFuture::from(buffer).await.map_err(|e| classify(&e))?;
        Ok(HttpResponse {
            status: response.status(),
            headers,
            body: Uint8Array::new(&body).to_vec(),
        })
    }
}

fn build_request(request: &HttpRequest) -> Result<Request, JsValue> {
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    let headers = Headers::new()?;
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(request.timeout_ms)));
    Request::new_with_str_and_init(&request.url, &init)
}

/// Only the headers the core reads: copying every header across the boundary would cost more time
/// and code than it is worth.
const READ_HEADERS: [&str; 3] = ["content-type", "retry-after", "x-ratelimit-reset"];

fn read_headers(headers: &Headers) -> Vec<(String, String)> {
    READ_HEADERS
        .iter()
        .filter_map(|&name| {
            let value = headers.get(name).ok().flatten()?;
            Some((name.to_owned(), value))
        })
        .collect()
}

/// `AbortSignal.timeout` rejects with a `TimeoutError` DOMException; everything else is the network.
fn classify(error: &JsValue) -> TransportError {
    let name = Reflect::get(error, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string());
    match name.as_deref() {
        Some("TimeoutError") => TransportError::Timeout,
        _ => TransportError::Network,
    }
}
