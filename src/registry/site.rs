//! The registry answers the web console's questions (`web::Site`): each
//! feature's pages, navigation links and overview panel, in the features'
//! order.

use super::Registry;
use crate::context::Ctx;
use crate::error::Result;
use crate::web::{Site, Viewer, Web};

impl Site for Registry {
    fn pages(&self) -> Vec<axum::Router<Web>> {
        self.features().filter_map(|f| f.web()).collect()
    }

    fn nav(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        self.features().flat_map(|f| f.declare().web_nav.iter().copied()).collect()
    }

    fn panels(&self, cx: &Ctx, viewer: &Viewer) -> Result<Vec<String>> {
        let mut panels = Vec::new();
        for f in self.features() {
            panels.extend(f.web_panel(cx, viewer)?);
        }
        Ok(panels)
    }

    fn subscribers(&self) -> Vec<&'static str> {
        self.subscriber_names()
    }
}
