// /metrics: the host's own families (engine, HTTP server) and the database's
// backlog, read once per scrape from partial indexes.
#include "http_api/endpoints.hpp"
#include "http_api/metrics_snapshot.hpp"
#include "metrics/registry.hpp"

namespace weft::http_api {

http::Response metrics(Call& call) {
  http::Response response;
  response.content_type = std::string(metrics::Registry::kContentType);
  if (call.options.metrics) response.body = call.options.metrics->render();
  try {
    response.body += call.database_metrics.render(call.store().backlog());
  } catch (const store::StoreError&) {
    call.drop_store();
    // Scrapes go on without the database's families; weft_database_up says why.
    response.body += call.database_metrics.render_down();
  }
  return response;
}

}  // namespace weft::http_api
