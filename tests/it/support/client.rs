//! An HTTP client for the in-process app that keeps cookies like a browser and can add the CSRF
//! token the way the pages and API clients do.

use super::TestApp;
use actix_http::Request;
use actix_service::boxed::BoxService;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::test::TestRequest;
use chorus::web::AppState;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;

pub type BoxedApp = BoxService<Request, ServiceResponse<BoxBody>, actix_web::Error>;

pub async fn boxed_app(state: AppState) -> BoxedApp {
    let svc = actix_web::test::init_service(chorus::web::app(state)).await;
    let svc = actix_service::ServiceExt::map(svc, |r: ServiceResponse<_>| r.map_into_boxed_body());
    actix_service::boxed::service(svc)
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// The API error code, e.g. `validation_failed`.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub struct Client<'a> {
    app: &'a TestApp,
    ip: String,
    cookies: RefCell<BTreeMap<String, String>>,
    pub bearer: Option<String>,
}

impl<'a> Client<'a> {
    pub fn new(app: &'a TestApp, ip: &str) -> Self {
        Client {
            app,
            ip: ip.to_string(),
            cookies: RefCell::default(),
            bearer: None,
        }
    }

    pub fn with_bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_string());
        self
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    /// Sends a request with this client's cookies, address and bearer token; keeps new cookies.
    pub async fn send(&self, req: TestRequest) -> Resp {
        let mut req = req.peer_addr(format!("{}:40000", self.ip).parse().unwrap());
        let jar = self.cookies.borrow().clone();
        if !jar.is_empty() {
            let line = jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.insert_header((header::COOKIE, line));
        }
        if let Some(t) = &self.bearer {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
        }
        let res = actix_service::Service::call(&self.app.service, req.to_request())
            .await
            .expect("the app answers");
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            let c = actix_web::cookie::Cookie::parse(v.to_str().unwrap().to_string()).unwrap();
            let removal = c.max_age().is_some_and(|a| a.is_zero()) || c.value().is_empty();
            if removal {
                self.cookies.borrow_mut().remove(c.name());
            } else {
                self.cookies
                    .borrow_mut()
                    .insert(c.name().to_string(), c.value().to_string());
            }
        }
        let body = res
            .into_body()
            .try_into_bytes()
            .map(|b| b.to_vec())
            .unwrap_or_default();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(TestRequest::get().uri(path)).await
    }

    /// The CSRF token a page would embed (fetching a page first if the jar has none).
    pub async fn csrf(&self) -> String {
        if self.cookie("chorus_csrf").is_none() {
            self.get("/healthz").await;
        }
        self.cookie("chorus_csrf").unwrap()
    }

    /// JSON with the `X-CSRF-Token` header when cookies are in play.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> Resp {
        let mut req = TestRequest::default()
            .method(method)
            .uri(path)
            .set_json(body);
        if self.bearer.is_none() || self.cookie("chorus_session").is_some() {
            req = req.insert_header(("X-CSRF-Token", self.csrf().await));
        }
        self.send(req).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Resp {
        self.json(Method::POST, path, body).await
    }

    /// A raw body with the given content type, no CSRF help.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Resp {
        let req = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, content_type.to_string()))
            .set_payload(body.into());
        self.send(req).await
    }

    /// A form post as a browser sends it, `csrf_token` included.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.post_raw(path, "application/x-www-form-urlencoded", body)
            .await
    }
}
