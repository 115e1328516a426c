//! `store/channels.rs`: channels by path, id and address; the counts tree.

use treecast_wire::{Address, Platform};

use super::super::channels::{address_key, counts_key, id_key, key, prefix};
use super::{assert_corrupt, store};
use crate::store::{ChannelPos, Keyspace, Ops, Store};
use crate::tree::channels::Channel;

const KS: Keyspace = Keyspace::Channels;

fn channel(id: u64, path: &[u32]) -> Channel {
    let address = Address::group(Platform::Telegram, format!("-100{id}"));
    Channel {
        id,
        org: *path.last().unwrap(),
        level: path.len() as u8 - 1,
        address,
        alive: true,
        note: String::new(),
        account: String::new(),
    }
}

/// Channels of a school [1, 7, 300], its branch [.., 4000], a neighbour [1, 7, 301] and the school's parent.
fn bound() -> (Store, Vec<(Vec<u32>, Channel)>) {
    let s = store();
    let placed = vec![
        (vec![1, 7], channel(11, &[1, 7])),
        (vec![1, 7, 300], channel(5, &[1, 7, 300])),
        (vec![1, 7, 300, 4000], channel(2, &[1, 7, 300, 4000])),
        (vec![1, 7, 300], channel(12, &[1, 7, 300])),
        (vec![1, 7, 301], channel(9, &[1, 7, 301])),
    ];
    let mut ops = Ops::default();
    for (path, ch) in &placed {
        ops.put_channel(path, ch);
        ops.count_channels(path[0], ch.level, (1, 0));
    }
    s.apply(ops).unwrap();
    (s, placed)
}

fn ids(list: impl IntoIterator<Item = Channel>) -> Vec<u64> {
    list.into_iter().map(|c| c.id).collect()
}

#[test]
fn subtree_channels_are_one_contiguous_prefix() {
    let (s, placed) = bound();
    let mut keys: Vec<(Vec<u8>, u64)> = placed.iter().map(|(p, c)| (key(p, c.id), c.id)).collect();
    keys.sort();
    let pre = prefix(&[1, 7, 300]);
    let inside: Vec<bool> = keys.iter().map(|(k, _)| k.starts_with(&pre)).collect();
    assert_eq!(inside, [false, true, true, true, false], "one run: {keys:?}");
    let under = s.channels_under(&[1, 7, 300]).unwrap();
    assert_eq!(under.iter().map(|p| p.channel.id).collect::<Vec<_>>(), vec![5, 12, 2], "own channels first");
    assert_eq!(under[2].path, vec![1, 7, 300, 4000]);
    assert_eq!(ids(s.channels_at(&[1, 7, 300]).unwrap()), vec![5, 12]);
    let owners: Vec<u32> = s.channel_owners(&[1, 7]).collect::<Result<_, _>>().unwrap();
    assert_eq!(owners, vec![7, 300, 300, 4000, 301]);
}

#[test]
fn a_walk_resumes_after_its_position() {
    let (s, _) = bound();
    let walk = |after: Option<&ChannelPos>| -> Vec<u64> {
        s.channel_walk(&[1, 7, 300], after).map(|p| p.unwrap().channel.id).collect()
    };
    assert_eq!(walk(None), vec![5, 12, 2]);
    assert_eq!(walk(Some(&ChannelPos::default())), vec![5, 12, 2]);
    let second = s.channel_walk(&[1, 7, 300], None).nth(1).unwrap().unwrap().pos;
    assert_eq!(walk(Some(&second)), vec![2]);
    assert_eq!(s.channel_walk(&[1, 7, 300, 4000, 1], None).count(), 0);
}

#[test]
fn channels_round_trip_move_and_unbind() {
    let (s, placed) = bound();
    let (path, ch) = &placed[2];
    assert_eq!(s.channel(ch.id).unwrap().as_ref(), Some(ch));
    assert_eq!(s.channel_id_by_address(&ch.address).unwrap(), Some(ch.id));
    assert_eq!(s.level_counts(1, 3).unwrap(), (1, 0));
    assert_eq!(s.level_counts(1, 2).unwrap(), (3, 0));
    let mut ops = Ops::default();
    ops.move_channel(path, &[1, 7, 301, 4000], ch);
    let mut dead = placed[4].1.clone();
    dead.alive = false;
    ops.update_channel(&placed[4].0, &dead);
    ops.del_channel(&placed[0].0, &placed[0].1);
    ops.del_address(&placed[1].1.address);
    s.apply(ops).unwrap();
    assert_eq!(ids(s.channels_under(&[1, 7, 301]).unwrap().into_iter().map(|p| p.channel)), vec![9, 2]);
    assert_eq!(s.channel(2).unwrap().as_ref(), Some(ch), "found by id after the move");
    assert!(!s.channel(9).unwrap().unwrap().alive);
    assert_eq!((s.channel(11).unwrap(), s.channel_id_by_address(&placed[0].1.address).unwrap()), (None, None));
    assert_eq!(s.channel_id_by_address(&placed[1].1.address).unwrap(), None);
    assert_eq!(s.channel(5).unwrap().unwrap().id, 5);
}

#[test]
fn damaged_channel_records_name_their_key() {
    let (s, _) = bound();
    let k = key(&[1, 7, 300], 12);
    s.channels.insert(&k, &[0xff, 0xff][..]).unwrap();
    assert_corrupt(s.channel(12), KS, &k);
    assert_corrupt(s.channels_at(&[1, 7, 300]), KS, &k);
    assert_corrupt(s.channels_under(&[1, 7]), KS, &k);
    assert_corrupt(s.channel_walk(&[1], None).collect::<Result<Vec<_>, _>>(), KS, &k);
}

#[test]
fn damaged_channel_indexes_name_their_key() {
    let (s, _) = bound();
    let k = id_key(5);
    s.channels.insert(&k, &[b'p', 0, 1][..]).unwrap();
    assert_corrupt(s.channel(5), KS, &k);
    s.channels.insert(&k, key(&[1, 7, 300], 12)).unwrap();
    assert_corrupt(s.channel(5), KS, &k);
    let a = Address::group(Platform::Matrix, "!room");
    let k = address_key(&a);
    s.channels.insert(&k, &[0, 0, 5][..]).unwrap();
    assert_corrupt(s.channel_id_by_address(&a), KS, &k);
    let k = counts_key(1, 2);
    s.counts.insert(k, &[0, 0, 0, 1][..]).unwrap();
    assert_corrupt(s.level_counts(1, 2), Keyspace::Counts, &k);
}

#[test]
fn short_channel_keys_name_themselves() {
    for k in [[&prefix(&[1, 7])[..], &[0, 0]].concat(), [&prefix(&[1, 7])[..], &[0; 9]].concat(), prefix(&[1, 7, 9])] {
        let (s, _) = bound();
        s.channels.insert(&k, crate::store::encode(&channel(3, &[1, 7]))).unwrap();
        assert_corrupt(s.channels_under(&[1, 7]), KS, &k);
        assert_corrupt(s.channel_owners(&[1]).collect::<Result<Vec<_>, _>>(), KS, &k);
        assert_corrupt(s.channel_walk(&[1, 7], None).collect::<Result<Vec<_>, _>>(), KS, &k);
    }
}
