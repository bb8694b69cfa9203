//! Group and server calls (codis-fe-spec.md §5.3, 5.4, 5.5, 5.6), with Codis's checks in Codis's order.

use crate::model::Model;
use crate::reply::{ApiError, ApiResult};
use crate::world::Peer;
use codis_model::{
    Group, GroupId, GroupServer, Promoting, PromotingState, ServerAction, ServerActionState,
    MAX_GROUP_ID,
};

fn promoting_error(g: &Group) -> ApiResult<()> {
    if g.is_promoting() {
        return Err(ApiError::traced(format!("group-[{}] is promoting", g.id)));
    }
    Ok(())
}

fn server_index(g: &Group, addr: &str) -> ApiResult<usize> {
    g.servers
        .iter()
        .position(|s| s.server == addr)
        .ok_or_else(|| ApiError::traced(format!("group-[{}] doesn't have server-[{addr}]", g.id)))
}

impl Model {
    pub(crate) fn group_create(&mut self, gid: i64) -> ApiResult<()> {
        if gid <= 0 || gid > i64::from(MAX_GROUP_ID) {
            return Err(ApiError::traced(format!(
                "invalid group id = {gid}, out of range"
            )));
        }
        let id = gid as GroupId;
        if self.groups.contains_key(&id) {
            return Err(ApiError::traced(format!("group-[{gid}] already exists")));
        }
        self.groups.insert(
            id,
            Group {
                id,
                ..Group::default()
            },
        );
        Ok(())
    }

    pub(crate) fn group_remove(&mut self, gid: i64) -> ApiResult<()> {
        let g = self.group(gid)?;
        if !g.servers.is_empty() {
            return Err(ApiError::traced(format!("group-[{gid}] isn't empty")));
        }
        let id = g.id;
        self.groups.remove(&id);
        Ok(())
    }

    /// Re-pushes the group's slots (only when it has any) and clears `out_of_sync`.
    pub(crate) fn group_resync(&mut self, gid: i64) -> ApiResult<()> {
        let id = self.group(gid)?.id;
        if self.group_in_use(id) {
            self.push_to_proxies("resync slots failed")?;
        }
        self.group_mut(gid)?.out_of_sync = false;
        Ok(())
    }

    /// Every group in id order; stops at the first failure (earlier groups stay resynced).
    pub(crate) fn group_resync_all(&mut self) -> ApiResult<()> {
        let ids: Vec<GroupId> = self.groups.keys().copied().collect();
        for id in ids {
            self.group_resync(i64::from(id))?;
        }
        Ok(())
    }

    /// `group/add`: the dial (`SLOTSINFO`) comes first, before any model check.
    pub(crate) fn group_add(&mut self, gid: i64, addr: &str, dc: &str) -> ApiResult<()> {
        match self.world.dial(addr, &self.faults) {
            Ok(Peer::Server) => {}
            Ok(Peer::PlainRedis) => {
                return Err(ApiError::traced(
                    "ERR unknown command 'SLOTSINFO', with args beginning with: ",
                ))
            }
            Ok(Peer::Sentinel) => return Err(ApiError::traced("ERR unknown command 'SLOTSINFO'")),
            Ok(Peer::Proxy(_)) => return Err(ApiError::traced("bad resp type 'H'")),
            Err(e) => return Err(ApiError::traced(e)),
        }
        if addr.is_empty() {
            return Err(ApiError::traced("invalid server address"));
        }
        if self.find_server(addr).is_some() {
            return Err(ApiError::traced(format!("server-[{addr}] already exists")));
        }
        promoting_error(self.group(gid)?)?;
        self.touch_sentinels();
        let mut added = GroupServer {
            server: addr.to_owned(),
            datacenter: dc.to_owned(),
            action: ServerAction::default(),
            replica_group: false,
            ..GroupServer::default()
        };
        self.pika_new_server(&mut added);
        self.group_mut(gid)?.servers.push(added);
        Ok(())
    }

    pub(crate) fn group_del(&mut self, gid: i64, addr: &str) -> ApiResult<()> {
        let g = self.group(gid)?;
        let index = server_index(g, addr)?;
        promoting_error(g)?;
        if index == 0 && (g.servers.len() != 1 || self.group_in_use(g.id)) {
            return Err(ApiError::traced(format!(
                "group-[{gid}] can't remove master, still in use"
            )));
        }
        self.touch_sentinels();
        let g = self.group_mut(gid)?;
        if index != 0 && g.servers[index].replica_group {
            g.out_of_sync = true;
        }
        g.servers.remove(index);
        if g.servers.is_empty() {
            g.out_of_sync = false;
        }
        Ok(())
    }

    /// Promotion (codis-fe-spec.md §5.3): all steps in one call, falling through; a failed proxy push leaves
    /// the group in `preparing`, and the same call resumes it.
    pub(crate) fn group_promote(&mut self, gid: i64, addr: &str) -> ApiResult<()> {
        let g = self.group(gid)?;
        let index = server_index(g, addr)?;
        if g.is_promoting() {
            if index as i64 != g.promoting.index {
                return Err(ApiError::traced(format!(
                    "group-[{gid}] is promoting index = {}",
                    g.promoting.index
                )));
            }
        } else if index == 0 {
            return Err(ApiError::traced(format!(
                "group-[{gid}] can't promote master"
            )));
        }
        let executor = self.slot_action.executor;
        if executor != 0 {
            return Err(ApiError::traced(format!(
                "slots-migration is running = {executor}"
            )));
        }
        let id = g.id;
        let in_use = self.group_in_use(id);
        let mut state = g.promoting.state.clone();
        if state.is_none() {
            let g = self.group_mut(gid)?;
            g.promoting = Promoting {
                index: index as i64,
                state: Some(PromotingState::Preparing),
            };
            state = g.promoting.state.clone();
        }
        if state == Some(PromotingState::Preparing) {
            // Proxies get the group's slots locked; a failure rolls back to preparing.
            if in_use {
                self.push_to_proxies("resync slots failed")?;
            }
            self.group_mut(gid)?.promoting.state = Some(PromotingState::Prepared);
            state = Some(PromotingState::Prepared);
        }
        if state == Some(PromotingState::Prepared) {
            if !self.sentinel.servers.is_empty() {
                self.sentinel.out_of_sync = true;
                for s in self.world.sentinels.values_mut() {
                    s.monitored.remove(&id);
                }
            }
            let g = self.group_mut(gid)?;
            let at = usize::try_from(g.promoting.index)
                .unwrap_or(0)
                .min(g.servers.len() - 1);
            let mut reordered = vec![g.servers[at].clone()];
            for (i, s) in g.servers.iter().enumerate() {
                if i != at && i != 0 {
                    reordered.push(s.clone());
                }
            }
            if at != 0 {
                reordered.push(g.servers[0].clone());
            }
            for s in &mut reordered {
                s.action = ServerAction::default();
            }
            g.servers = reordered;
            g.promoting = Promoting {
                index: 0,
                state: Some(PromotingState::Finished),
            };
            let master = g.servers[0].server.clone();
            // SLAVEOF NO ONE on the new master; the old master is not reconfigured.
            if !self.is_down(&master) {
                if let Some(s) = self.world.servers.get_mut(&master) {
                    s.replica_of = None;
                }
                self.reconfigured(&master);
            }
            state = Some(PromotingState::Finished);
        }
        if state == Some(PromotingState::Finished) {
            if in_use {
                self.push_to_proxies("resync slots failed")?;
            }
            let g = self.group_mut(gid)?;
            g.promoting = Promoting::default();
            g.out_of_sync = false;
        }
        Ok(())
    }

    pub(crate) fn group_replica_groups(
        &mut self,
        gid: i64,
        addr: &str,
        value: bool,
    ) -> ApiResult<()> {
        let g = self.group(gid)?;
        let index = server_index(g, addr)?;
        promoting_error(g)?;
        let mark = g.servers.len() != 1 && self.group_in_use(g.id);
        let g = self.group_mut(gid)?;
        if mark {
            g.out_of_sync = true;
        }
        g.servers[index].replica_group = value;
        Ok(())
    }

    pub(crate) fn group_replica_groups_all(&mut self, value: bool) -> ApiResult<()> {
        let ids: Vec<GroupId> = self.groups.keys().copied().collect();
        for id in ids {
            let in_use = self.group_in_use(id);
            let Some(g) = self.groups.get_mut(&id) else {
                continue;
            };
            promoting_error(g)?;
            let mut dirty = false;
            for s in &mut g.servers {
                if s.replica_group != value {
                    s.replica_group = value;
                    dirty = true;
                }
            }
            if dirty && g.servers.len() != 1 && in_use {
                g.out_of_sync = true;
            }
        }
        Ok(())
    }

    fn server_group_mut(&mut self, addr: &str) -> ApiResult<(GroupId, usize)> {
        let (gid, index) = self
            .find_server(addr)
            .ok_or_else(|| ApiError::traced(format!("server-[{addr}] doesn't exist")))?;
        promoting_error(&self.groups[&gid])?;
        Ok((gid, index))
    }

    /// Queues a SLAVEOF sync (codis-fe-spec.md §5.4): index = 1 + the highest pending index.
    pub(crate) fn sync_action_create(&mut self, addr: &str) -> ApiResult<()> {
        let (gid, index) = self.server_group_mut(addr)?;
        if self.groups[&gid].servers[index].action.state == Some(ServerActionState::Pending) {
            return Err(ApiError::traced(format!(
                "server-[{addr}] action already exist"
            )));
        }
        let next = self.max_sync_index() + 1;
        if let Some(g) = self.groups.get_mut(&gid) {
            g.servers[index].action = ServerAction {
                index: next,
                state: Some(ServerActionState::Pending),
            };
        }
        Ok(())
    }

    pub(crate) fn sync_action_remove(&mut self, addr: &str) -> ApiResult<()> {
        let (gid, index) = self.server_group_mut(addr)?;
        if self.groups[&gid].servers[index].action.state.is_none() {
            return Err(ApiError::traced(format!(
                "server-[{addr}] action doesn't exist"
            )));
        }
        if let Some(g) = self.groups.get_mut(&gid) {
            g.servers[index].action = ServerAction::default();
        }
        Ok(())
    }

    fn max_sync_index(&self) -> i64 {
        self.groups
            .values()
            .flat_map(|g| g.servers.iter())
            .filter(|s| s.action.state == Some(ServerActionState::Pending))
            .map(|s| s.action.index)
            .max()
            .unwrap_or(0)
    }
}
