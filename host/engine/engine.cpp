#include "engine/engine.hpp"

#include "common/ids.hpp"
#include "common/log.hpp"
#include "common/thread_name.hpp"
#include "definitions/loader.hpp"
#include "engine/engine_impl.hpp"
#include "engine/execution_plan.hpp"
#include "routing/event.hpp"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace weft::engine {
namespace {

constexpr int kRouteBatch = 200;
constexpr int kClaimBatch = 64;
// Pool usage is logged at most this often, and only when workers had to wait.
constexpr std::chrono::seconds kPoolReportEvery{60};
// A table analyzed small that grows fast is analyzed again within this
// (one cheap query per check): plans made for its old size scan it.
constexpr std::chrono::milliseconds kStatisticsCheckEvery{1000};
// Notifications are hints; this bounds how long a lost one can delay work.
constexpr std::chrono::milliseconds kSafetyPoll{2000};

std::chrono::milliseconds backoff_after(int failures) {
  return std::chrono::milliseconds(std::min(5000, 100 << std::min(failures, 6)));
}

}  // namespace

Engine::Impl::Impl(EngineOptions options, std::vector<definitions::DefinitionPtr> definitions)
    : options_(std::move(options)), metrics_(options_.metrics.get()), host_id_(new_uuid()) {
  for (const auto& definition : definitions)
    definitions_[{definition->id, definition->content_hash}] = definition;
  router_ = std::make_shared<const routing::Router>(std::move(definitions));
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (options_.metrics) collector_ = options_.metrics->on_collect([this] { collect_metrics(); });
}

Engine::Impl::~Impl() {
  if (dispatcher_.joinable() || heartbeat_.joinable()) {
    request_stop();
    wait();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Engine::Impl::start() {
  store::migrate(options_.database_url);
  {
    store::Store store(options_.database_url);
    for (const auto& definition : router_.load()->definitions()) store.save_definition(snapshot_of(*definition));
    store.register_host(host_id_, options_.lease);
    heartbeat_succeeded();
  }
  lua::VmOptions vm_options;
  vm_options.modules_root = options_.workflows_dir;
  vm_options.memory_limit_bytes = options_.lua_memory_limit_bytes;
  store::PoolOptions pool_options;
  pool_options.size = options_.db_pool > 0 ? options_.db_pool : options_.workers;
  pool_options.acquire_timeout = options_.db_pool_timeout;
  if (metrics_.enabled()) {
    pool_options.on_acquire = [wait = metrics_.pool_wait, timeouts = metrics_.pool_timeouts](double seconds,
                                                                                           bool timed_out) {
      wait->observe(seconds);
      if (timed_out) timeouts->inc();
    };
  }
  connections_ = std::make_unique<store::ConnectionPool>(options_.database_url, pool_options);
  // A lane per four workers: enough parallel writers to keep the database busy,
  // few enough that busy lanes make checkpoints share commits.
  checkpoints_ = std::make_unique<store::GroupCommit>(options_.database_url, std::max(2, options_.workers / 4));
  pool_ = std::make_unique<WorkerPool>(options_.workers, *connections_, vm_options);
  timers_ = std::make_unique<TimerQueue>();
  dispatcher_ = std::thread([this] {
    name_this_thread("weft-dispatch");
    dispatch_loop();
  });
  heartbeat_ = std::thread([this] {
    name_this_thread("weft-heartbeat");
    heartbeat_loop();
  });
  started_ = true;
  for (const auto& problem : router_.load()->problems()) spdlog::warn("{}", problem);
  spdlog::info("host {} started: {} workflow(s), {} worker(s), {} database connection(s), lease {}ms", host_id_,
               router_.load()->definitions().size(), options_.workers, pool_options.size, options_.lease.count());
}

void Engine::Impl::replace_definitions(std::vector<definitions::DefinitionPtr> definitions) {
  // Snapshots first: an execution routed by the new router may be claimed by
  // any host, which loads its pinned version from the store.
  {
    store::Store store(options_.database_url);
    for (const auto& definition : definitions) store.save_definition(snapshot_of(*definition));
  }
  auto router = std::make_shared<const routing::Router>(std::move(definitions));
  for (const auto& problem : router->problems()) spdlog::warn("{}", problem);
  {
    // Old versions stay: executions pinned to them may still be claimed here.
    std::lock_guard lock(definitions_mutex_);
    for (const auto& definition : router->definitions())
      definitions_.emplace(std::make_pair(definition->id, definition->content_hash), definition);
  }
  router_.store(std::move(router));
}

void Engine::Impl::request_stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_changed_.notify_all();
  wake_dispatcher();
}

bool Engine::Impl::wait() {
  if (dispatcher_.joinable()) dispatcher_.join();
  drain_and_release();
  {
    std::lock_guard lock(stop_mutex_);
    heartbeat_done_ = true;
  }
  stop_changed_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  return true;
}

void Engine::Impl::wake_dispatcher() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void Engine::Impl::dispatch_loop() {
  lua::VmOptions vm_options;
  vm_options.modules_root = options_.workflows_dir;
  vm_options.memory_limit_bytes = options_.lua_memory_limit_bytes;
  lua::Vm vm(vm_options);
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::Notifier> notifier;
  auto last_maintenance = std::chrono::steady_clock::time_point{};
  int failures = 0;
  // What a pass has to do. Each costs round trips, so a pass does only what a
  // wake-up asked for; the safety poll (a wait that timed out) does everything.
  bool route_due = true;
  bool claim_due = true;
  bool cancels_due = true;
  auto next_claimable = std::chrono::steady_clock::time_point::max();

  while (!stopping_) {
    try {
      if (!store) store = std::make_unique<store::Store>(options_.database_url);
      if (rejoin_needed_) rejoin(*store);
      if (!notifier) {
        notifier = std::make_unique<store::Notifier>(
            options_.database_url, std::vector<std::string>{store::kEventsChannel, store::kWorkChannel});
        route_due = claim_due = cancels_due = true;  // hints sent while we were not listening are lost
      }
      if (route_due) {
        while (!stopping_) {
          // The router takes on what it has room for, and their first steps'
          // checkpoints commit with the routing: no claim round trip, no
          // notification, no commit of their own (issue 6). If the routing
          // fails, these runs never existed.
          std::deque<StartedRun> started;
          store::Store::EagerClaim claim{host_id_, draining_ || rejoin_needed_ ? 0 : room(),
                                         [&](store::ClaimedExecution record) {
                                           return plan_start(std::move(record), vm, started);
                                         }};
          const auto routed = store->route_events(
              kRouteBatch, [&](const auto& event) { return route(event, vm); }, claim);
          for (auto& run : started) launch(run);
          if (metrics_.events_routed && routed.events > 0)
            metrics_.events_routed->inc(static_cast<std::uint64_t>(routed.events));
          if (routed.unclaimed > 0) claim_due = true;
          if (routed.concurrency_keys) admission_due_ = true;
          if (routed.events < kRouteBatch) break;
        }
        route_due = false;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_maintenance >= options_.lease / 3) {
        last_maintenance = now;
        if (const int freed = store->reap_expired_hosts(host_id_); freed > 0) {
          spdlog::warn("recovered {} execution(s) from host(s) whose lease expired", freed);
          claim_due = true;
        }
        sweep_orphans(*store);
      }
      if (admission_due_.exchange(false) && store->admit_pending() > 0) claim_due = true;
      if (claim_due || now >= next_claimable) {
        claim_due = false;
        claim_batch(*store, vm);
        const auto due_in = store->next_claimable_in();
        next_claimable = due_in ? std::chrono::steady_clock::now() + std::chrono::milliseconds(*due_in)
                                : std::chrono::steady_clock::time_point::max();
      }
      if (cancels_due) {
        cancels_due = false;
        forward_cancels(*store);
      }
      failures = 0;

      auto timeout = kSafetyPoll;
      bool has_room;
      {
        std::lock_guard lock(active_mutex_);
        has_room = static_cast<int>(active_.size()) < options_.max_active_executions;
      }
      if (has_room && next_claimable != std::chrono::steady_clock::time_point::max()) {
        timeout = std::min(timeout, std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 next_claimable - std::chrono::steady_clock::now()),
                                             std::chrono::milliseconds(0)));
      }
      // Wake for the next reaping round too: with a lease shorter than 3 x the
      // safety poll, an idle host would otherwise reap dead peers up to
      // kSafetyPoll late instead of every lease/3.
      const auto maintenance_in = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_maintenance + options_.lease / 3 - std::chrono::steady_clock::now());
      timeout = std::min(timeout, std::max(maintenance_in, std::chrono::milliseconds(0)));
      if (stopping_ || timeout.count() <= 0) continue;
      const auto wakeup = notifier->wait(timeout, wake_fd_);
      if (wakeup.on(store::kEventsChannel)) route_due = true;
      if (wakeup.on(store::kWorkChannel)) claim_due = cancels_due = admission_due_ = true;
      if (wakeup.poked) claim_due = true;
      if (wakeup.timed_out()) route_due = claim_due = cancels_due = admission_due_ = true;
    } catch (const std::exception& error) {
      ++failures;
      const auto pause = backoff_after(failures);
      spdlog::error("dispatcher: {}; retrying in {}ms", error.what(), pause.count());
      store.reset();
      notifier.reset();
      std::unique_lock lock(stop_mutex_);
      stop_changed_.wait_for(lock, pause, [&] { return stopping_.load(); });
    }
  }
}

void Engine::Impl::rejoin(store::Store& store) {
  std::vector<RunPtr> dropped;
  {
    std::lock_guard lock(active_mutex_);
    for (const auto& [id, run] : active_) dropped.push_back(run);
    active_.clear();
    active_changed();
  }
  for (const auto& run : dropped) {
    std::lock_guard lock(run->mutex);
    run->abandoned = true;
    run->cancel = true;  // running attempts stop; their writes would be fenced out anyway
  }
  const std::string fresh = new_uuid();
  store.register_host(fresh, options_.lease);
  heartbeat_succeeded();
  const std::string old = host_id();
  {
    std::lock_guard lock(host_id_mutex_);
    host_id_ = fresh;
  }
  rejoin_needed_ = false;
  spdlog::warn("host {} lost its lease; rejoined as host {} and left {} execution(s) to whoever claims "
               "them next",
               old, fresh, dropped.size());
}

int Engine::Impl::room() {
  std::lock_guard lock(active_mutex_);
  return std::max(0, options_.max_active_executions - static_cast<int>(active_.size()));
}

store::Checkpoint Engine::Impl::without_definition(const std::string& execution_id, const std::string& error) {
  // Without its pinned definition the execution cannot run anywhere: fail it visibly.
  spdlog::error("execution {}: {}", execution_id, error);
  store::Checkpoint checkpoint;
  checkpoint.finish = store::Checkpoint::Finish{store::execution_status::kFailed, nullptr,
                                                StepError{"definition_unavailable", error, false, nullptr}.to_json()};
  return checkpoint;
}

void Engine::Impl::adopt(store::ClaimedExecution record, store::Store& store) {
  std::string error;
  auto definition = definition_for(record.workflow, record.content_hash, &store, error);
  if (!definition) {
    store.checkpoint(store::Lease{record.id, host_id_, record.fence}, without_definition(record.id, error));
    return;
  }
  auto* workflow_metrics = metrics_.workflow(definition);
  auto run = std::make_shared<ExecutionRun>(std::move(record), std::move(definition), host_id_);
  run->metrics = workflow_metrics;
  {
    std::lock_guard lock(active_mutex_);
    active_[run->record().id] = run;
    active_changed();
  }
  pool_->post([this, run](WorkerContext& context) { resume(run, context); });
}

void Engine::Impl::claim_batch(store::Store& store, lua::Vm& vm) {
  for (;;) {
    if (stopping_) return;
    // Set before looking at the room, so that a run retiring from here on
    // wakes the dispatcher: claimable work may be waiting for that room.
    claims_wait_for_room_ = true;
    const int free = room();
    if (free <= 0) return;
    const int limit = std::min(free, kClaimBatch);
    // First claims start as routed executions do: their first checkpoints
    // commit with the claim (issue 6). If the claim fails, these never ran.
    std::deque<StartedRun> started;
    auto claimed = store.claim_executions(host_id_, limit, [&](store::ClaimedExecution record) {
      return plan_start(std::move(record), vm, started, &store);
    });
    for (auto& run : started) launch(run);
    const auto count = static_cast<int>(claimed.to_resume.size()) + claimed.started;
    for (auto& record : claimed.to_resume) adopt(std::move(record), store);
    if (count < limit) {
      claims_wait_for_room_ = false;  // nothing more to claim; new work comes with a notification
      return;
    }
  }
}

void Engine::Impl::forward_cancels(store::Store& store) {
  for (const auto& id : store.cancel_requested(host_id_)) {
    RunPtr run;
    {
      std::lock_guard lock(active_mutex_);
      if (const auto it = active_.find(id); it != active_.end()) run = it->second;
    }
    if (!run) continue;
    {
      std::lock_guard lock(run->mutex);
      if (run->cancelled || run->finished) continue;
    }
    pool_->post([this, run](WorkerContext& context) { on_cancel(run, context); });
  }
}

void Engine::Impl::sweep_orphans(store::Store& store) {
  // An execution whose checkpoint failed in doubt and whose release failed too
  // would stay owned by this live host forever; hand such ones back.
  for (const auto& lease : store.owned_executions(host_id_)) {
    bool known;
    {
      std::lock_guard lock(active_mutex_);
      known = active_.count(lease.execution_id) > 0;
    }
    if (!known && store.release(lease))
      spdlog::warn("execution {} was held but not running here; released it", lease.execution_id);
  }
}

definitions::DefinitionPtr Engine::Impl::definition_for(const std::string& workflow,
                                                        const std::string& hash,
                                                        store::Store* store, std::string& error) {
  {
    std::lock_guard lock(definitions_mutex_);
    if (const auto it = definitions_.find({workflow, hash}); it != definitions_.end()) return it->second;
  }
  if (!store) {
    error = "definition " + workflow + "@" + hash + " is not loaded on this host";
    return nullptr;
  }
  const auto snapshot = store->load_definition(workflow, hash);
  if (!snapshot) {
    error = "definition " + workflow + "@" + hash + " is not stored";
    return nullptr;
  }
  definitions::SourceBundle bundle{snapshot->source_path, snapshot->yaml, snapshot->scripts};
  auto loaded = definitions::load_bundle(bundle);
  if (!loaded.definition) {
    error = "stored definition " + workflow + "@" + hash + " no longer loads: " +
            (loaded.diagnostics.empty() ? std::string("unknown error")
                                        : loaded.diagnostics.front().to_string());
    return nullptr;
  }
  std::lock_guard lock(definitions_mutex_);
  return definitions_.emplace(std::make_pair(workflow, hash), loaded.definition).first->second;
}

std::vector<store::NewExecution> Engine::Impl::route(const store::EventRecord& record, lua::Vm& vm) {
  std::vector<store::NewExecution> executions;
  LogScope scope({record.trace_id, "", ""});
  const auto parsed = routing::parse_event(record.document);
  if (!parsed.event) {
    spdlog::error("stored event {}/{} is not a valid CloudEvent ({}); not routed", record.source,
                  record.id, parsed.error);
    return executions;
  }
  std::vector<std::string> problems;
  const auto router = router_.load();  // one snapshot for the whole event, even across a reload
  for (const auto& match : router->match(*parsed.event, vm, &problems)) {
    PlanRequest request;
    request.event = &parsed.event->document;
    request.trace_id = record.trace_id;
    request.event_source = record.source;
    request.event_id = record.id;
    auto plan = plan_execution(*match.definition, request, vm);
    if (!plan.execution) {
      spdlog::error("event {}/{}: {}", record.source, record.id, plan.error);
      continue;
    }
    executions.push_back(std::move(*plan.execution));
  }
  for (const auto& problem : problems) spdlog::warn("event {}/{}: {}", record.source, record.id, problem);
  if (executions.empty()) {
    spdlog::debug("event {}/{} (type {}) matched no workflow", record.source, record.id, record.type);
  }
  return executions;
}

void Engine::Impl::heartbeat_loop() {
  std::unique_ptr<store::Store> store;
  auto last_success = std::chrono::steady_clock::now();
  auto last_pool_report = last_success;
  auto last_heartbeat = last_success;
  const auto heartbeat_every = std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease / 3);
  const auto beat = [&] {
    if (rejoin_needed_) {
      // The dispatcher registers a new identity; heartbeats resume with it.
      last_success = std::chrono::steady_clock::now();
      return;
    }
    try {
      if (!store) store = std::make_unique<store::Store>(options_.database_url);
      if (!store->heartbeat(host_id())) {
        spdlog::error("another host declared this one dead and took over its executions");
        rejoin_needed_ = true;
        wake_dispatcher();
        return;
      }
      last_success = std::chrono::steady_clock::now();
      heartbeat_succeeded();
    } catch (const std::exception& error) {
      store.reset();
      spdlog::error("heartbeat failed: {}", error.what());
      if (std::chrono::steady_clock::now() - last_success > options_.lease) {
        // Others may already run our executions: stop touching them now
        // (fencing rejects our writes anyway; this also ends side effects).
        spdlog::error("no heartbeat for longer than the lease; dropping this host's executions");
        rejoin_needed_ = true;
        wake_dispatcher();
      }
    }
  };
  // Runs until wait() has drained and released everything: the lease must hold until then.
  while (true) {
    {
      std::unique_lock lock(stop_mutex_);
      if (stop_changed_.wait_for(lock, std::min(heartbeat_every, kStatisticsCheckEvery),
                                 [&] { return heartbeat_done_.load(); })) {
        report_pool_usage(true);
        return;
      }
    }
    if (std::chrono::steady_clock::now() - last_heartbeat >= heartbeat_every) {
      last_heartbeat = std::chrono::steady_clock::now();
      beat();
    }
    if (std::chrono::steady_clock::now() - last_pool_report >= kPoolReportEvery) {
      last_pool_report = std::chrono::steady_clock::now();
      report_pool_usage(false);
    }
    // Here, after the heartbeat, not on the dispatcher: an ANALYZE takes a
    // moment and must hold up neither routing nor the lease.
    if (!store) continue;  // the heartbeat reconnects; nothing to add to its errors
    try {
      for (const auto& table : store->refresh_statistics()) spdlog::debug("analyzed weft.{}: it had grown", table);
    } catch (const std::exception& error) {
      store.reset();
      spdlog::debug("could not refresh table statistics: {}", error.what());
    }
  }
}

void Engine::Impl::report_pool_usage(bool always) {
  if (!connections_) return;
  const auto stats = connections_->take_stats();
  if (!always && stats.waited == 0) return;
  const double average_wait = stats.waited > 0 ? stats.wait_ms_total / static_cast<double>(stats.waited) : 0.0;
  spdlog::log(stats.timed_out > 0 ? spdlog::level::warn : spdlog::level::info,
              "connection pool: {} borrowed, {} waited (avg {:.1f}ms, max {:.1f}ms), {} timed out; "
              "peak {} of {} in use",
              stats.acquired, stats.waited, average_wait, stats.wait_ms_max, stats.timed_out, stats.peak_in_use,
              stats.size);
  if (!always || !checkpoints_) return;
  const auto shared = checkpoints_->take_stats();
  if (shared.commits > 0) {
    spdlog::info("checkpoints: {} in {} commit(s), {:.1f} per commit", shared.checkpoints, shared.commits,
                 static_cast<double>(shared.checkpoints) / static_cast<double>(shared.commits));
  }
}

void Engine::Impl::drain_and_release() {
  draining_ = true;
  const auto running = [this] {
    std::lock_guard lock(active_mutex_);
    int count = 0;
    for (const auto& [id, run] : active_) {
      std::lock_guard run_lock(run->mutex);
      count += run->running_count();
    }
    return count;
  };
  const auto wait_for_idle = [&](std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (running() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  wait_for_idle(options_.drain_timeout);
  {
    std::lock_guard lock(active_mutex_);
    for (const auto& [id, run] : active_) run->cancel = true;
  }
  wait_for_idle(std::chrono::milliseconds(5000));
  // Checkpoints on their way land first, and the tasks they start run; the
  // tasks that run while the pool stops may queue a few more.
  if (checkpoints_) checkpoints_->drain();
  if (timers_) timers_->stop();
  if (pool_) pool_->stop();
  if (checkpoints_) checkpoints_->drain();

  std::vector<RunPtr> remaining;
  {
    std::lock_guard lock(active_mutex_);
    for (const auto& [id, run] : active_) remaining.push_back(run);
    active_.clear();
    active_changed();
  }
  draining_ = false;
  try {
    store::Store store(options_.database_url);
    for (const auto& run : remaining) {
      std::lock_guard lock(run->mutex);
      if (!run->finished && !run->abandoned) store.release(run->lease());
    }
    store.unregister_host(host_id());
    spdlog::info("host {} stopped; released {} execution(s)", host_id(), remaining.size());
  } catch (const std::exception& error) {
    spdlog::error("could not release executions on stop ({}); other hosts take them over when "
                  "this host's lease expires",
                  error.what());
  }
}

EngineStats Engine::Impl::stats() const {
  EngineStats stats;
  stats.host_id = host_id();
  stats.started = started_.load();
  stats.stopping = stopping_.load();
  stats.lease = options_.lease;
  stats.max_active_executions = options_.max_active_executions;
  stats.active_executions = active_count_.load(std::memory_order_relaxed);
  if (const auto renewed = last_heartbeat_.load(std::memory_order_relaxed); renewed != 0) {
    const auto at = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(renewed));
    stats.since_heartbeat =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - at);
  }
  if (stats.started) {  // the pool exists from then on
    const auto pool = connections_->stats();
    stats.pool = EngineStats::Pool{pool.size, pool.in_use, pool.waiting, pool.timed_out_ever};
  }
  for (const auto& [key, breaker] : breakers_.snapshot()) {
    if (breaker.state == CircuitBreaker::State::Open) stats.open_circuits.push_back(key);
    if (breaker.state == CircuitBreaker::State::HalfOpen) stats.half_open_circuits.push_back(key);
  }
  return stats;
}

void Engine::Impl::collect_metrics() {
  metrics_.active_executions->set(active_count_.load(std::memory_order_relaxed));
  if (started_) {
    const auto pool = connections_->stats();
    metrics_.pool_size->set(pool.size);
    metrics_.pool_in_use->set(pool.in_use);
    metrics_.pool_idle->set(pool.idle);
  }
  for (const auto& [key, breaker] : breakers_.snapshot()) {
    const double state = breaker.state == CircuitBreaker::State::Open       ? 2
                         : breaker.state == CircuitBreaker::State::HalfOpen ? 1
                                                                            : 0;
    metrics_.breaker_state->labels({key}).set(state);
  }
}

Engine::Engine(EngineOptions options, std::vector<definitions::DefinitionPtr> definitions)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(definitions))) {}
Engine::~Engine() = default;
void Engine::start() { impl_->start(); }
void Engine::request_stop() { impl_->request_stop(); }
bool Engine::wait() { return impl_->wait(); }
void Engine::replace_definitions(std::vector<definitions::DefinitionPtr> definitions) {
  impl_->replace_definitions(std::move(definitions));
}
std::string Engine::host_id() const { return impl_->host_id(); }
EngineStats Engine::stats() const { return impl_->stats(); }

}  // namespace weft::engine
