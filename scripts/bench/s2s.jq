select(.result)
| .result
| $wksm[0][.namespace] as $owner
| select($owner)
| $uidm[0][$owner] as $ownerId
| select($ownerId)
| $uidm[0][.userId // $owner] as $id
| select($id)
| {
    messageId,
    timestamp,
    namespace,
    type,
    userId: $id,
    event: (.event // "\($evn[0].subjects[.event_subject] // .event_subject) \($evn[0].verbs[.event_verb] // .event_verb)"),
    properties: (.properties | fromjson | .workspaceID = $ownerId),
    context: (.context | fromjson)
  }
