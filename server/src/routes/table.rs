//! [`Routes`]: an axum router that keeps the table of what it serves.
//! Every route of the API is added through it, so the table the docs test
//! checks against `docs/API.md` ([`super::declared`]) is the router itself,
//! not a second list that could drift from it.

use axum::{
    Router,
    handler::Handler,
    routing::{MethodRouter, delete, get, post, put},
};

use crate::state::AppState;

/// One served route: method and path (with `{id}`-style captures).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: &'static str,
    pub path: String,
}

/// A router and the table of its routes.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<Route>,
}

impl Routes {
    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("GET", path, get(handler))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("POST", path, post(handler))
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("PUT", path, put(handler))
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("DELETE", path, delete(handler))
    }

    fn add(mut self, method: &'static str, path: &str, handler: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, handler);
        self.table.push(Route { method, path: path.to_owned() });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// `other`'s routes under `prefix`, in the table as in the router.
    pub fn nest(mut self, prefix: &str, other: Routes) -> Self {
        self.router = self.router.nest(prefix, other.router);
        self.table
            .extend(other.table.into_iter().map(|route| Route { path: format!("{prefix}{}", route.path), ..route }));
        self
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    pub fn into_table(self) -> Vec<Route> {
        self.table
    }
}
