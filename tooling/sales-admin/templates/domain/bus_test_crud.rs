//! Create, read, update, delete; versions and audit rows.

use {{ c.n.bus }}::{Error, QueryFilter, Update{{ c.n.pascal }}, {{ c.n.pascal }}};
{%- if c.has_money %}
use types::Money;
{%- endif %}
use sdk::Page;
use uuid::Uuid;

use crate::{Env, {% if c.has_user %}Users, {% endif %}on_both_backends};

on_both_backends!(
    create_then_read_back,
    update_changes_only_given_fields,
    stale_version_is_refused_without_change_or_audit,
    delete_hides_the_{{ c.n.name }},
    concurrent_updates_with_same_version_have_one_winner,
{%- if c.has_unique %}
    unique_fields_refuse_a_second_live_{{ c.n.name }},
{%- endif %}
{%- if c.has_user %}
    unknown_user_references_are_refused,
{%- endif %}
);

async fn create_then_read_back(env: Env) {
    let u = env.three_users().await;
    let item = env.create(&u, u.owner, 0).await;
    assert_eq!(item.version, 1);
    assert_eq!(item.user_id, u.owner);
    assert_eq!(item.date_created, item.date_updated);
{%- for v in c.bus_items[0] %}
    {{ v.assert_on("item") }}
{%- endfor %}

    let got = env.{{ c.n.plural }}.query_by_id(item.id).await.unwrap();
    assert_eq!(got, item, "read back equals what was written (times to the microsecond)");

    let audits = env.audits_of(item.id).await;
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].obj_domain, auditbus::Domain::{{ c.n.pascal }});
    assert_eq!(audits[0].action, "created");
    assert_eq!(audits[0].actor_id, u.owner);
    assert_eq!(audits[0].data["userID"], serde_json::json!(u.owner));

    assert!(matches!(env.{{ c.n.plural }}.query_by_id(Uuid::new_v4()).await, Err(Error::NotFound)));
}

async fn update_changes_only_given_fields(env: Env) {
    let u = env.three_users().await;
    let item = env.create(&u, u.owner, 0).await;

    let up = Update{{ c.n.pascal }} {
        {{ c.first.name }}: {{ c.bus_items[1][0].update }},
        {% if c.fields.len() > 1 %}..Default::default(){% endif %}
    };
    let item2 = env.{{ c.n.plural }}.update(u.owner, &item, up, None).await.unwrap();
    {{ c.bus_items[1][0].assert_on("item2") }}
    assert_eq!(item2.version, 2);
    assert_eq!(item2.date_created, item.date_created);
    assert!(item2.date_updated >= item.date_updated);
    assert_eq!(
        {{ c.n.pascal }} {
            {{ c.first.name }}: item.{{ c.first.name }}{{ c.first.clone_suffix }},
            version: 1,
            date_updated: item.date_updated,
            ..item2.clone()
        },
        item,
        "the other fields are unchanged"
    );

    // Every field at once, with the right version.
    let up = Update{{ c.n.pascal }} {
{%- for v in c.bus_items[2] %}
        {{ v.name }}: {{ v.update }},
{%- endfor %}
    };
    let item3 = env.{{ c.n.plural }}.update(u.owner, &item2, up, Some(2)).await.unwrap();
    assert_eq!(item3.version, 3);
{%- for v in c.bus_items[2] %}
    {{ v.assert_on("item3") }}
{%- endfor %}
    assert_eq!(env.{{ c.n.plural }}.query_by_id(item.id).await.unwrap(), item3);

    let audits = env.audits_of(item.id).await;
    let actions: Vec<_> = audits.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["created", "updated", "updated"]);
    let changed: Vec<&String> = audits[1].data.as_object().unwrap().keys().collect();
    assert_eq!(changed, ["{{ c.first.json }}"], "the audit names only what changed");
}

async fn stale_version_is_refused_without_change_or_audit(env: Env) {
    let u = env.three_users().await;
    let item = env.create(&u, u.owner, 0).await;

    let up = Update{{ c.n.pascal }} {
        {{ c.first.name }}: {{ c.bus_items[1][0].update }},
        {% if c.fields.len() > 1 %}..Default::default(){% endif %}
    };
    let err = env.{{ c.n.plural }}.update(u.owner, &item, up.clone(), Some(7)).await.unwrap_err();
    assert!(matches!(err, Error::VersionConflict), "{err:?}");
    let err = env.{{ c.n.plural }}.delete(u.owner, &item, Some(2)).await.unwrap_err();
    assert!(matches!(err, Error::VersionConflict), "{err:?}");

    assert_eq!(env.{{ c.n.plural }}.query_by_id(item.id).await.unwrap(), item, "nothing modified");
    assert_eq!(env.audits_of(item.id).await.len(), 1, "only the create is audited");

    // Unknown id: NotFound, with or without a version.
    let ghost = {{ c.n.pascal }} {
        id: Uuid::new_v4(),
        ..item.clone()
    };
    assert!(matches!(
        env.{{ c.n.plural }}.update(u.owner, &ghost, up.clone(), Some(1)).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(env.{{ c.n.plural }}.update(u.owner, &ghost, up, None).await, Err(Error::NotFound)));
    assert!(matches!(env.{{ c.n.plural }}.delete(u.owner, &ghost, None).await, Err(Error::NotFound)));
    assert!(env.audits_of(ghost.id).await.is_empty());
}

async fn delete_hides_the_{{ c.n.name }}(env: Env) {
    let u = env.three_users().await;
    let admin = Uuid::new_v4();
    let keep = env.create(&u, u.owner, 0).await;
    let gone = env.create(&u, u.owner, 1).await;

    env.{{ c.n.plural }}.delete(admin, &gone, Some(1)).await.unwrap();

    assert!(matches!(env.{{ c.n.plural }}.query_by_id(gone.id).await, Err(Error::NotFound)));
    let all = env
        .{{ c.n.plural }}
        .query(&QueryFilter::default(), {{ c.n.bus }}::DEFAULT_ORDER, Page::default())
        .await
        .unwrap();
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), [keep.id]);
    assert_eq!(env.{{ c.n.plural }}.count(&QueryFilter::default()).await.unwrap(), 1);

    // A deleted {{ c.n.name }} can be neither changed nor deleted again.
    let up = Update{{ c.n.pascal }} {
        {{ c.first.name }}: {{ c.bus_items[2][0].update }},
        {% if c.fields.len() > 1 %}..Default::default(){% endif %}
    };
    assert!(matches!(env.{{ c.n.plural }}.update(admin, &gone, up, None).await, Err(Error::NotFound)));
    assert!(matches!(env.{{ c.n.plural }}.delete(admin, &gone, None).await, Err(Error::NotFound)));

    let audits = env.audits_of(gone.id).await;
    let actions: Vec<_> = audits.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["created", "deleted"]);
    assert_eq!(audits[1].actor_id, admin);
}

async fn concurrent_updates_with_same_version_have_one_winner(env: Env) {
    let u = env.three_users().await;
    let item = env.create(&u, u.owner, 0).await;

    let mut tasks = Vec::new();
    for i in 0..10 {
        let ({{ c.n.plural }}, item) = (env.{{ c.n.plural }}.clone(), item.clone());
        let up = Update{{ c.n.pascal }} {
            {{ c.first.name }}: if i % 2 == 0 { {{ c.bus_items[1][0].update }} } else { {{ c.bus_items[2][0].update }} },
            {% if c.fields.len() > 1 %}..Default::default(){% endif %}
        };
        let owner = u.owner;
        tasks.push(tokio::spawn(async move { {{ c.n.plural }}.update(owner, &item, up, Some(1)).await }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(Error::VersionConflict) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(env.{{ c.n.plural }}.query_by_id(item.id).await.unwrap().version, 2);
    assert_eq!(env.audits_of(item.id).await.len(), 2, "one create, one update");
}
{%- if c.has_unique %}

async fn unique_fields_refuse_a_second_live_{{ c.n.name }}(env: Env) {
    let u = env.three_users().await;
    let first = env.create(&u, u.owner, 0).await;
    let again = env.{{ c.n.plural }}.create(u.other, Env::new_item(&u, u.other, 0)).await;
    assert!(matches!(again, Err(Error::Duplicate)), "{again:?}");
    assert_eq!(env.{{ c.n.plural }}.count(&QueryFilter::default()).await.unwrap(), 1);

    // Once the first is deleted, its values are free again.
    env.{{ c.n.plural }}.delete(u.owner, &first, None).await.unwrap();
    env.create(&u, u.other, 0).await;
}
{%- endif %}
{%- if c.has_user %}

async fn unknown_user_references_are_refused(env: Env) {
    let u = env.three_users().await;
    let ghost = Users {
        owner: u.owner,
        other: Uuid::new_v4(),
        third: Uuid::new_v4(),
    };
    let res = env.{{ c.n.plural }}.create(u.owner, Env::new_item(&ghost, u.owner, 1)).await;
    assert!(matches!(res, Err(Error::UnknownUser)), "{res:?}");
    assert_eq!(env.{{ c.n.plural }}.count(&QueryFilter::default()).await.unwrap(), 0);
}
{%- endif %}
