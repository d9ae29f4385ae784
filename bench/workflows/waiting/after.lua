return function(ctx, input)
  return { approved_by = ctx.steps.approval.output.by }
end
