//! Every feature, one folder (or file) each. A new feature is one more line
//! in `all`; the gateway never changes.

pub mod account;
pub mod archive;
pub mod audit;
pub mod branding;
pub mod bridge;
pub mod campaigns;
pub mod conversations;
pub mod digest;
pub mod interviews;
pub mod leaderboard;
pub mod mailbox;
pub mod modules;
pub mod notices;
pub mod orgs;
pub mod privacy;
pub mod search;
pub mod services;
pub mod showcase;
pub mod surveys;
pub mod topics;
pub mod web;

use std::sync::Arc;

use crate::context::Ctx;
use crate::registry::Feature;
use surveys::Surveys;

/// The features of a running treecast, in help order.
pub fn all(ctx: &Ctx) -> Vec<Arc<dyn Feature>> {
    let surveys = Surveys::new(ctx.tree.clone());
    surveys.set_dir(ctx.config.surveys_dir.clone());
    surveys.set_rules(ctx.rules());
    surveys.set_caps(ctx.caps.clone());
    let mut all: Vec<Arc<dyn Feature>> = vec![
        Arc::new(account::Account),
        Arc::new(notices::Notices),
        Arc::new(surveys::SurveyFeature { surveys }),
        Arc::new(orgs::Orgs),
        Arc::new(mailbox::Mailbox),
        Arc::new(audit::Audit),
        Arc::new(topics::Topics),
        Arc::new(showcase::Showcase),
        Arc::new(interviews::Interviews),
        Arc::new(leaderboard::Leaderboard),
        Arc::new(archive::Archive),
        Arc::new(campaigns::Campaigns),
        Arc::new(services::Services),
        Arc::new(bridge::Bridge),
        Arc::new(branding::Branding::new()),
        Arc::new(web::WebSignIn),
    ];
    // Which of them each org uses: read from their declarations.
    all.push(Arc::new(modules::Modules::new(&all)));
    // /back, /skip and /cancel go to whichever feature is talking with the sender.
    all.push(Arc::new(conversations::Conversations::new(all.clone())));
    // Search indexes what every other feature describes; the digest gathers
    // what every other feature has for an official.
    all.push(Arc::new(search::Search::new(all.clone())));
    all.push(Arc::new(digest::Digest::new(all.clone())));
    // A person's data is held by every feature: each shows and forgets its part.
    all.push(Arc::new(privacy::Privacy::new(all.clone())));
    all
}
