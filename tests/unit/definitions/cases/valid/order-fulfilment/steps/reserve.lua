return function(ctx, input) return {} end
