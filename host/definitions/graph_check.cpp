#include "definitions/graph_check.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace weft::definitions {
namespace {

using Graph = std::vector<std::vector<std::size_t>>;  // step -> the steps it waits for

// Tarjan's strongly connected components; a component with more than one step,
// or one step waiting for itself, is a cycle.
class Components {
 public:
  explicit Components(const Graph& graph)
      : graph_(graph), index_(graph.size(), kUnvisited), low_(graph.size(), 0), on_stack_(graph.size(), false) {
    for (std::size_t node = 0; node < graph.size(); ++node) {
      if (index_[node] == kUnvisited) visit(node);
    }
  }

  const std::vector<std::vector<std::size_t>>& all() const { return components_; }

 private:
  static constexpr std::size_t kUnvisited = static_cast<std::size_t>(-1);

  void visit(std::size_t node) {
    index_[node] = low_[node] = next_index_++;
    stack_.push_back(node);
    on_stack_[node] = true;
    for (const auto next : graph_[node]) {
      if (index_[next] == kUnvisited) {
        visit(next);
        low_[node] = std::min(low_[node], low_[next]);
      } else if (on_stack_[next]) {
        low_[node] = std::min(low_[node], index_[next]);
      }
    }
    if (low_[node] != index_[node]) return;
    std::vector<std::size_t> component;
    std::size_t member = 0;
    do {
      member = stack_.back();
      stack_.pop_back();
      on_stack_[member] = false;
      component.push_back(member);
    } while (member != node);
    std::sort(component.begin(), component.end());
    components_.push_back(std::move(component));
  }

  const Graph& graph_;
  std::vector<std::size_t> index_;
  std::vector<std::size_t> low_;
  std::vector<bool> on_stack_;
  std::vector<std::size_t> stack_;
  std::size_t next_index_ = 0;
  std::vector<std::vector<std::size_t>> components_;
};

// A shortest path start -> ... -> start inside one component (breadth first).
std::vector<std::size_t> cycle_through(const Graph& graph, const std::vector<std::size_t>& component,
                                       std::size_t start) {
  std::map<std::size_t, std::size_t> parent;
  std::vector<std::size_t> frontier{start};
  const auto inside = [&](std::size_t node) {
    return std::binary_search(component.begin(), component.end(), node);
  };
  while (!frontier.empty()) {
    std::vector<std::size_t> next_frontier;
    for (const auto node : frontier) {
      for (const auto next : graph[node]) {
        if (!inside(next)) continue;
        if (next == start) {
          std::vector<std::size_t> path{start};
          for (auto at = node; at != start; at = parent[at]) path.push_back(at);
          std::reverse(path.begin() + 1, path.end());
          path.push_back(start);
          return path;
        }
        if (parent.emplace(next, node).second) next_frontier.push_back(next);
      }
    }
    frontier = std::move(next_frontier);
  }
  return {start, start};
}

}  // namespace

void resolve_dependencies(std::vector<StepDependencies>& steps, Diagnostics& out) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].step_id, i);

  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!steps[i].declared && i > 0) steps[i].after = {Dependency{steps[i - 1].step_id, steps[i].location}};
  }

  Graph graph(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    // A duplicate id is reported elsewhere; only its first step takes part.
    if (index.at(steps[i].step_id) != i) continue;
    for (const auto& dependency : steps[i].after) {
      const auto found = index.find(dependency.step_id);
      if (found == index.end()) {
        out.push_back(Diagnostic{dependency.location, "step `" + steps[i].step_id + "` waits for unknown step `" +
                                                          dependency.step_id + "`"});
        continue;
      }
      graph[i].push_back(found->second);
    }
  }

  const Components components(graph);
  for (const auto& component : components.all()) {
    const auto start = component.front();
    const bool self_loop = std::find(graph[start].begin(), graph[start].end(), start) != graph[start].end();
    if (component.size() < 2 && !self_loop) continue;
    const auto path = cycle_through(graph, component, start);
    std::string names;
    for (const auto node : path) names += (names.empty() ? "" : " -> ") + steps[node].step_id;
    SourceLocation where = steps[start].location;
    for (const auto& dependency : steps[start].after) {
      if (dependency.step_id == steps[path[1]].step_id) where = dependency.location;
    }
    out.push_back(Diagnostic{where, "`after` forms a cycle: " + names + " (each step waits for the next)"});
  }
}

}  // namespace weft::definitions
